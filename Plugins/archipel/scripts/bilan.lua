-- Le bilan de la région Auvergne-Rhône-Alpes : nombre d'événements par type et par public.
--   relais run Plugins/archipel/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "Archipel", region = "84", lab = "archipel", script = "Plugins/archipel/scripts/bilan.lua",
}
