-- L'agenda de la semaine en Auvergne-Rhône-Alpes, jour par jour.
--   relais run Plugins/archipel/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "Archipel", region = "84", lab = "archipel", script = "Plugins/archipel/scripts/agenda.lua",
}
