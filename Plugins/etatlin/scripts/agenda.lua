-- L'agenda de la semaine en Pays de la Loire, jour par jour.
--   relais run Plugins/etatlin/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "ETAT'LIN", region = "52", lab = "etatlin", script = "Plugins/etatlin/scripts/agenda.lua",
}
