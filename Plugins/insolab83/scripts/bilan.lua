-- Le bilan de la région Provence-Alpes-Côte d'Azur : nombre d'événements par type et par public.
--   relais run Plugins/insolab83/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "InSo Lab 83", region = "93", lab = "insolab83", script = "Plugins/insolab83/scripts/bilan.lua",
}
