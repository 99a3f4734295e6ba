-- Manifeste du plugin du LabO (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "Le LabO — laboratoire d'innovation publique d'Occitanie",
  version = "1.0.0",
  region = "76", -- Occitanie
  lab = "labo-occitanie",
  description = "Filtres du LabO (Toulouse) pour le Mois de l'innovation publique : les événements "
    .. "d'Occitanie, ceux du lab, ceux ouverts aux agents, l'acculturation à l'innovation, la "
    .. "participation citoyenne et la transition écologique.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
