-- InSo Lab 83 — laboratoire d'innovation publique du Var (le « 83 »), en
-- Provence-Alpes-Côte d'Azur. Le lab travaille à l'échelle du département : le filtre `var`
-- retient les événements qui se tiennent dans le Var ou qui en parlent.
--
-- Exemples :
--   relais query --filter insolab83.region         les événements de Provence-Alpes-Côte d'Azur
--   relais query --filter insolab83.own            ceux organisés avec le lab
--   relais query --filter insolab83.region --filter insolab83.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "93" -- Provence-Alpes-Côte d'Azur, comme dans manifest.lua
local LAB = "insolab83"

-- Filtres communs à tous les labs -----------------------------------------------------

-- Les événements de la région.
relais.filter("region", function(evenement) return evenement.region == REGION end)

-- Les événements de la région, plus les nationaux (sans région), ouverts à tous les territoires.
relais.filter("region-ou-national", function(evenement)
  return evenement.region == REGION or evenement.region == nil
end)

-- Les événements organisés avec le lab.
relais.filter("own", function(evenement) return evenement.lab == LAB end)

-- Ouverts aux agents publics (ou sans public précisé).
relais.filter("agents", filtres.pour_agents)

-- Ouverts au grand public.
relais.filter("public", filtres.pour_public)

-- À distance, ou au contraire sur place uniquement.
relais.filter("online", function(evenement) return evenement.online end)
relais.filter("onsite", function(evenement) return not evenement.online end)

-- Ni annulés ni reportés.
relais.filter("scheduled", function(evenement) return evenement.status == "scheduled" end)

-- Filtres propres à InSo Lab 83 -------------------------------------------------------

-- Dans le Var : le lieu, le titre ou la description nomment le département ou l'une de
-- ses villes. Mots entiers (« Var » ne doit pas trouver « variété »).
local var = filtres.mots_cles({
  "Var", "varois", "varoise", "Toulon", "Draguignan", "Hyères", "Fréjus", "Saint-Raphaël", "Brignoles",
  "La Seyne-sur-Mer", "Six-Fours-les-Plages", "Saint-Tropez", "Sainte-Maxime",
}, true)
relais.filter("var", function(evenement)
  return evenement.region == REGION and (filtres.texte_contient(evenement.place, var)
    or filtres.texte_contient(evenement.title, var) or filtres.texte_contient(evenement.description, var))
end)

-- Innovation sociale : inclusion, solidarité, insertion, emploi, santé, ESS.
local social = filtres.mots_cles({
  "innovation sociale", "inclusion", "solidarite", "insertion", "emploi", "sante",
  "economie sociale et solidaire", "handicap", "precarite",
})
relais.filter("innovation-sociale", function(evenement) return filtres.a_un_tag(evenement, social) end)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin insolab83 --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre hebdomadaire d’InSo Lab 83 aux agents publics du Var et de la région",
  build = hebdo.lettre{
    lab = "InSo Lab 83",
    region = REGION,
    a = { "agents-var@listes.insolab83.example" },
    objet = "InSo Lab 83 — ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Voici les rendez-vous de l’innovation publique de la semaine en Provence-Alpes-Côte d’Azur, pour les agents du Var et d’ailleurs. Innovation sociale, participation, nouveaux services : inscrivez-vous et faites circuler !",
    signature = "À la semaine prochaine,\n\nL’équipe d’InSo Lab 83 — laboratoire d’innovation publique du Var",
  },
}
