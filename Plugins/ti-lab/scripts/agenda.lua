-- L'agenda de la semaine en Bretagne, jour par jour.
--   relais run Plugins/ti-lab/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "Ti-Lab", region = "53", lab = "ti-lab", script = "Plugins/ti-lab/scripts/agenda.lua",
}
