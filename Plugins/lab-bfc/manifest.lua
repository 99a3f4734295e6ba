-- Manifeste du plugin du Labo BFC (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "Laboratoire d'innovation et de coopération de Bourgogne-Franche-Comté",
  version = "1.0.0",
  region = "27", -- Bourgogne-Franche-Comté
  lab = "lab-bfc",
  description = "Filtres du laboratoire d'innovation et de coopération de la Région "
    .. "Bourgogne-Franche-Comté pour le Mois de l'innovation publique : les événements de la "
    .. "région, ceux du Labo, ceux ouverts aux agents, le numérique, le design de services, "
    .. "l'intelligence collective, les inscriptions CNFPT et les ruralités (villages du futur).",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
