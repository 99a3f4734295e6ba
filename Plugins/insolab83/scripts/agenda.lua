-- L'agenda de la semaine en Provence-Alpes-Côte d'Azur, jour par jour.
--   relais run Plugins/insolab83/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "InSo Lab 83", region = "93", lab = "insolab83", script = "Plugins/insolab83/scripts/agenda.lua",
}
