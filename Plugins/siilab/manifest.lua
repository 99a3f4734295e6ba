-- Manifeste du plugin de SIILAB (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "SIILAB — laboratoire d'innovation publique des Hauts-de-France",
  version = "1.0.0",
  region = "32", -- Hauts-de-France
  lab = "siilab",
  description = "Filtres du SIILAB (Lille) pour le Mois de l'innovation publique : les événements des "
    .. "Hauts-de-France, ceux du lab, ceux ouverts aux agents et aux partenaires de l'État, la "
    .. "simplification des démarches, l'inclusion numérique et l'économie sociale et solidaire.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
