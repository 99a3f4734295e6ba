-- L'agenda de la semaine en Île-de-France, jour par jour.
--   relais run Plugins/fabrique-rh/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "La Fabrique RH", region = "11", lab = "fabrique-rh", script = "Plugins/fabrique-rh/scripts/agenda.lua",
}
