-- SIILAB — laboratoire d'innovation publique des Hauts-de-France, à Lille : un espace
-- collaboratif ouvert aux agents et aux partenaires de l'État pour lancer et appuyer des
-- projets, notamment autour de l'économie sociale et solidaire et de l'inclusion numérique
-- (webinaire du 10 novembre 2020 avec Les Assembleurs ; rencontre DITP le 20 novembre).
--
-- Exemples :
--   relais query --filter siilab.region            les événements des Hauts-de-France
--   relais query --filter siilab.own               ceux organisés avec le lab
--   relais query --filter siilab.region --filter siilab.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "32" -- Hauts-de-France, comme dans manifest.lua
local LAB = "siilab"

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

-- Filtres propres à SIILAB ------------------------------------------------------------

-- Simplifier les démarches et les documents : le Simplificathon du Nord, les documents
-- administratifs clairs, l'e-administration, la relation aux usagers.
local simplification = filtres.mots_cles({
  "simplification", "simplifier", "documents administratifs", "e-administration", "dematerialisation",
  "relation usagers", "relations aux usagers", "demarches",
})
relais.filter("simplification", function(evenement) return filtres.a_un_tag(evenement, simplification) end)

-- L'inclusion numérique (acteurs de la médiation, Hub numérique inclusif…).
local inclusion = filtres.mots_cles({ "inclusion numerique", "numerique inclusif", "mediation numerique" })
relais.filter("inclusion-numerique", function(evenement) return filtres.parle_de(evenement, inclusion) end)

-- L'économie sociale et solidaire.
local ess = filtres.mots_cles({ "economie sociale et solidaire", "ess", "solidarite" }, true)
relais.filter("ess", function(evenement) return filtres.a_un_tag(evenement, ess) end)

-- Ouverts aux partenaires de l'État (associations, acteurs de l'ESS…).
relais.filter("partenaires", function(evenement)
  return filtres.public_vise(evenement, "partners") or filtres.public_vise(evenement, "associations")
end)

-- Notifications ----------------------------------------------------------------------
-- Le tableau de bord régional du SIILAB lit un dossier : chaque annulation ou report
-- d'un événement des Hauts-de-France y dépose un fichier JSON (canal file, dossier
-- `siilab-changements` sous le dossier configuré).

local changements = require("relais.changements")

local function deposer(change)
  if change.after.region ~= REGION then return end
  local message = changements.message(change)
  relais.notify{ channel = "file", to = "siilab-changements", subject = message.sujet, body = message.donnees }
end
relais.on("event.cancelled", deposer)
relais.on("event.rescheduled", deposer)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin siilab --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre hebdomadaire du SIILAB aux agents et partenaires de l’État des Hauts-de-France",
  build = hebdo.lettre{
    lab = "SIILAB",
    region = REGION,
    a = { "agents-hauts-de-france@listes.siilab.example", "partenaires@listes.siilab.example" },
    objet = "SIILAB — l’innovation publique dans les Hauts-de-France, ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Voici les rendez-vous de la semaine pour les agents et les partenaires de l’État dans les Hauts-de-France. Inclusion numérique, économie sociale et solidaire, simplification : le SIILAB vous attend, à Lille comme en ligne.",
    signature = "Belle semaine à toutes et à tous,\n\nL’équipe du SIILAB — laboratoire d’innovation publique des Hauts-de-France",
  },
}
