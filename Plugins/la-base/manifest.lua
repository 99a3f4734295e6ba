-- Manifeste du plugin de La Base (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "La Base — laboratoire d'innovation publique de Nouvelle-Aquitaine",
  version = "1.0.0",
  region = "75", -- Nouvelle-Aquitaine
  lab = "la-base",
  description = "Filtres de La Base (Bordeaux) pour le Mois de l'innovation publique : les événements "
    .. "de Nouvelle-Aquitaine, ceux du lab, ceux ouverts aux agents, et les méthodes que le lab "
    .. "porte (design, sciences comportementales, méthodes agiles), la culture et l'entrepreneuriat.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
