-- Manifeste du plugin de La Fabrique RH (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "La Fabrique RH — laboratoire d'innovation RH d'Île-de-France",
  version = "1.0.0",
  region = "11", -- Île-de-France
  lab = "fabrique-rh",
  description = "Filtres de La Fabrique RH (Île-de-France) pour le Mois de l'innovation publique : les "
    .. "événements franciliens, ceux du lab, ceux ouverts aux agents, et ce qui touche aux "
    .. "ressources humaines, à la formation, aux nouveaux modes de travail et aux données "
    .. "publiques.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
