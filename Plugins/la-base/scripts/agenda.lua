-- L'agenda de la semaine en Nouvelle-Aquitaine, jour par jour.
--   relais run Plugins/la-base/scripts/agenda.lua 2020-W46
--   relais run Plugins/la-base/scripts/agenda.lua 2020-11-17 --national
return require("relais.agenda").agenda {
  nom = "La Base", region = "75", lab = "la-base", script = "Plugins/la-base/scripts/agenda.lua",
}
