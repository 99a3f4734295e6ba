-- Le bilan de la région Île-de-France : nombre d'événements par type et par public.
--   relais run Plugins/fabrique-rh/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "La Fabrique RH", region = "11", lab = "fabrique-rh", script = "Plugins/fabrique-rh/scripts/bilan.lua",
}
