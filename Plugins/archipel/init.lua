-- Archipel — laboratoire d'innovation publique de l'État en Auvergne-Rhône-Alpes. Dans la
-- région, 9 parcours didactiques « Numérique en Commun(s) » traitent de l'inclusion numérique
-- pendant le Mois de l'innovation publique 2020.
--
-- Exemples :
--   relais query --filter archipel.region          les événements d'Auvergne-Rhône-Alpes
--   relais query --filter archipel.own             ceux organisés avec le lab
--   relais query --filter archipel.region --filter archipel.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "84" -- Auvergne-Rhône-Alpes, comme dans manifest.lua
local LAB = "archipel"

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

-- Filtres propres à Archipel ----------------------------------------------------------

-- L'inclusion numérique (parcours « Numérique en Commun(s) », médiation…).
local inclusion = filtres.mots_cles({ "inclusion numerique", "numerique inclusif", "mediation numerique",
  "numerique en commun" })
relais.filter("inclusion-numerique", function(evenement) return filtres.parle_de(evenement, inclusion) end)

-- Le numérique en général (services publics numériques, données, outils).
local numerique = filtres.mots_cles({ "numerique", "digital", "dematerialisation", "donnees", "open data",
  "e-administration" })
relais.filter("numerique", function(evenement)
  return filtres.a_un_tag(evenement, numerique) or filtres.texte_contient(evenement.title, numerique)
end)

-- Se former : formations et parcours.
local formation = filtres.mots_cles({ "formation", "parcours didactique", "parcours didactiques" })
relais.filter("formation", function(evenement)
  return evenement.kind == "training" or filtres.a_un_tag(evenement, formation)
end)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin archipel --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre hebdomadaire d’Archipel aux agents publics d’Auvergne-Rhône-Alpes",
  build = hebdo.lettre{
    lab = "Archipel",
    region = REGION,
    a = { "agents-auvergne-rhone-alpes@listes.archipel.example" },
    objet = "Archipel — l’innovation publique en Auvergne-Rhône-Alpes, ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Inclusion numérique, parcours « Numérique en Commun(s) », formations : voici la semaine de l’innovation publique en Auvergne-Rhône-Alpes, et les webinaires nationaux ouverts à tous les agents.",
    signature = "Bonne semaine,\n\nL’équipe d’Archipel — laboratoire d’innovation publique de l’État en Auvergne-Rhône-Alpes",
  },
}
