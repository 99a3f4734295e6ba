-- L'agenda de la semaine en Bourgogne-Franche-Comté, jour par jour.
--   relais run Plugins/lab-bfc/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "Le Labo BFC", region = "27", lab = "lab-bfc", script = "Plugins/lab-bfc/scripts/agenda.lua",
}
