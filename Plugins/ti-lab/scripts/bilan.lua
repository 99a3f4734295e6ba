-- Le bilan de la région Bretagne : nombre d'événements par type et par public.
--   relais run Plugins/ti-lab/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "Ti-Lab", region = "53", lab = "ti-lab", script = "Plugins/ti-lab/scripts/bilan.lua",
}
