-- Le bilan de la région Pays de la Loire : nombre d'événements par type et par public.
--   relais run Plugins/etatlin/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "ETAT'LIN", region = "52", lab = "etatlin", script = "Plugins/etatlin/scripts/bilan.lua",
}
