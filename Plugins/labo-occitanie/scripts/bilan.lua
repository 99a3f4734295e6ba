-- Le bilan de la région Occitanie : nombre d'événements par type et par public.
--   relais run Plugins/labo-occitanie/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "Le LabO", region = "76", lab = "labo-occitanie", script = "Plugins/labo-occitanie/scripts/bilan.lua",
}
