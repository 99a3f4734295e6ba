-- Le bilan de la région Hauts-de-France : nombre d'événements par type et par public.
--   relais run Plugins/siilab/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "SIILAB", region = "32", lab = "siilab", script = "Plugins/siilab/scripts/bilan.lua",
}
