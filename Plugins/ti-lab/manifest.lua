-- Manifeste du plugin de Ti-Lab (lu dans un environnement vide : des valeurs, pas d'appels).
return {
  name = "Ti-Lab — laboratoire régional d'innovation publique de Bretagne",
  version = "1.0.0",
  region = "53", -- Bretagne
  lab = "ti-lab",
  description = "Filtres du Ti-Lab (Rennes) pour le Mois de l'innovation publique : les événements "
    .. "bretons, ceux du lab, ceux ouverts aux agents, les rendez-vous de presse, le passage à "
    .. "l'échelle, la participation citoyenne et le design des politiques publiques.",
  limits = { instructions = 20000000, memory = 16 * 1024 * 1024 },
}
