-- Manifeste du plugin d'Archipel (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "Archipel — laboratoire d'innovation publique d'Auvergne-Rhône-Alpes",
  version = "1.0.0",
  region = "84", -- Auvergne-Rhône-Alpes
  lab = "archipel",
  description = "Filtres d'Archipel (Auvergne-Rhône-Alpes) pour le Mois de l'innovation publique : les "
    .. "événements de la région, ceux du lab, ceux ouverts aux agents, l'inclusion numérique, le "
    .. "numérique et les parcours de formation.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
