-- Le laboratoire d'innovation et de coopération de la Région Bourgogne-Franche-Comté,
-- animé par la Délégation à la Modernisation. Avec le CNFPT et le Réseau de l'innovation
-- publique (une centaine de facilitateurs), il propose e-conférences, ateliers et formations
-- (Nevers) du 23 au 30 novembre 2020.
--
-- Exemples :
--   relais query --filter lab-bfc.region           les événements de Bourgogne-Franche-Comté
--   relais query --filter lab-bfc.own              ceux organisés avec le lab
--   relais query --filter lab-bfc.region --filter lab-bfc.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "27" -- Bourgogne-Franche-Comté, comme dans manifest.lua
local LAB = "lab-bfc"

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

-- Filtres propres au Labo BFC ---------------------------------------------------------

-- Le numérique : services publics numériques, données, dématérialisation, outils.
local numerique = filtres.mots_cles({ "numerique", "digital", "dematerialisation", "donnees", "open data",
  "e-administration", "plateforme numerique" })
relais.filter("numerique", function(evenement)
  return filtres.a_un_tag(evenement, numerique) or filtres.texte_contient(evenement.title, numerique)
end)

-- Le design de services et le design au service des collectivités.
local design = filtres.mots_cles({ "design", "design de services", "co-design", "prototypage" })
relais.filter("design", function(evenement) return filtres.a_un_tag(evenement, design) end)

-- L'intelligence collective : facilitation, facilitation graphique, crash tests, coopération.
local collectif = filtres.mots_cles({ "intelligence collective", "facilitation", "crash test", "cooperation",
  "communaute" })
relais.filter("intelligence-collective", function(evenement) return filtres.a_un_tag(evenement, collectif) end)

-- Les événements du CNFPT (inscription sur le site du CNFPT).
local cnfpt = filtres.mots_cles({ "CNFPT" }, true)
relais.filter("cnfpt", function(evenement)
  return filtres.texte_contient(evenement.organizer, cnfpt) or filtres.texte_contient(evenement.contact, cnfpt)
end)

-- Les ruralités : villages du futur, petites communes.
local rural = filtres.mots_cles({ "ruralite", "ruralites", "rural", "village du futur", "villages du futur",
  "petites communes" })
relais.filter("ruralite", function(evenement) return filtres.parle_de(evenement, rural) end)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin lab-bfc --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre du lundi du laboratoire d’innovation et de coopération aux facilitateurs de Bourgogne-Franche-Comté",
  build = hebdo.lettre{
    lab = "Le Lab BFC",
    region = REGION,
    a = { "reseau-innovation@listes.lab-bfc.example" },
    objet = "Lab BFC — Réseau de l’innovation publique, ",
    bonjour = "Bonjour à toutes et à tous, chers facilitateurs et facilitatrices,",
    introduction = "Voici les e-conférences, ateliers et formations de la semaine en Bourgogne-Franche-Comté, proposés avec le CNFPT et le Réseau de l’innovation publique, ainsi que les webinaires nationaux ouverts à tous.",
    signature = "Belle semaine d’intelligence collective,\n\nLe laboratoire d’innovation et de coopération — Délégation à la Modernisation, Région Bourgogne-Franche-Comté",
  },
}
