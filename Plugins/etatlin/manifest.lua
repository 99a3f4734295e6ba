-- Manifeste du plugin d'ETAT'LIN (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "ETAT'LIN — laboratoire d'innovation publique des Pays de la Loire",
  version = "1.0.0",
  region = "52", -- Pays de la Loire
  lab = "etatlin",
  description = "Filtres d'ETAT'LIN (Pays de la Loire) pour le Mois de l'innovation publique : les "
    .. "événements ligériens, ceux du lab, ceux ouverts aux agents, le design des politiques "
    .. "publiques, la santé et la participation des citoyens.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
