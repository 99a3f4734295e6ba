return {
  name = "Export schema.org (JSON-LD)",
  version = "1.0.0",
  description = "Export schema-org : un tableau JSON-LD d'objets schema.org Event, pour publier le "
    .. "programme sur un site (données structurées lues par les moteurs de recherche).",
  limits = { instructions = 50000000, memory = 32 * 1024 * 1024 },
}
