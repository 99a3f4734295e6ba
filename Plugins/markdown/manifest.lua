return {
  name = "Export Markdown (agenda en français)",
  version = "1.0.0",
  description = "Export markdown : un agenda en français, jour par jour, une puce par événement "
    .. "(horaire, titre, type, organisateur, lieu ou « en ligne », lien), à publier sur un wiki, "
    .. "un dépôt ou dans une lettre d'information.",
  limits = { instructions = 50000000, memory = 32 * 1024 * 1024 },
}
