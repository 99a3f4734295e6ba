-- L'agenda de la semaine en Occitanie, jour par jour.
--   relais run Plugins/labo-occitanie/scripts/agenda.lua 2020-W47
return require("relais.agenda").agenda {
  nom = "Le LabO", region = "76", lab = "labo-occitanie", script = "Plugins/labo-occitanie/scripts/agenda.lua",
}
