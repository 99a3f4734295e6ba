-- Le bilan de la Nouvelle-Aquitaine : nombre d'événements par type et par public.
--   relais run Plugins/la-base/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "La Base", region = "75", lab = "la-base", script = "Plugins/la-base/scripts/bilan.lua",
}
