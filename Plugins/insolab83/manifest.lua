-- Manifeste du plugin d'InSo Lab 83 (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "InSo Lab 83 — laboratoire d'innovation publique du Var",
  version = "1.0.0",
  region = "93", -- Provence-Alpes-Côte d'Azur
  lab = "insolab83",
  description = "Filtres d'InSo Lab 83 (Var, Provence-Alpes-Côte d'Azur) pour le Mois de l'innovation "
    .. "publique : les événements de la région, ceux du lab, ceux ouverts aux agents, ceux qui "
    .. "se tiennent dans le Var, et l'innovation sociale (inclusion, solidarité, emploi, santé).",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
