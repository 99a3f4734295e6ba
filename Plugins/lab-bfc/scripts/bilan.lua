-- Le bilan de la région Bourgogne-Franche-Comté : nombre d'événements par type et par public.
--   relais run Plugins/lab-bfc/scripts/bilan.lua 2020-11
return require("relais.agenda").bilan {
  nom = "Le Labo BFC", region = "27", lab = "lab-bfc", script = "Plugins/lab-bfc/scripts/bilan.lua",
}
