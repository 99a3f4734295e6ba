-- L'agenda de la semaine en Hauts-de-France, jour par jour.
--   relais run Plugins/siilab/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "SIILAB", region = "32", lab = "siilab", script = "Plugins/siilab/scripts/agenda.lua",
}
