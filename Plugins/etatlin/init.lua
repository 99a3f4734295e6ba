-- ETAT'LIN — laboratoire d'innovation publique de l'État en Pays de la Loire, à Nantes.
-- Dans la région, l'École de design Nantes Atlantique (Chaire Design et Action Publique
-- Innovante) tient deux tables-rondes les 10 et 17 novembre 2020.
--
-- Exemples :
--   relais query --filter etatlin.region           les événements ligériens
--   relais query --filter etatlin.own              ceux organisés avec le lab
--   relais query --filter etatlin.region --filter etatlin.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "52" -- Pays de la Loire, comme dans manifest.lua
local LAB = "etatlin"

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

-- Filtres propres à ETAT'LIN ----------------------------------------------------------

-- Le design au service de l'action publique.
local design = filtres.mots_cles({ "design", "co-design", "codesign", "experience utilisateur" })
relais.filter("design", function(evenement)
  return filtres.a_un_tag(evenement, design) or filtres.texte_contient(evenement.organizer, design)
end)

-- Santé : établissements de santé, médico-social.
local sante = filtres.mots_cles({ "sante", "hopital", "medico-social", "soin" })
relais.filter("sante", function(evenement) return filtres.parle_de(evenement, sante) end)

-- Participation citoyenne et innovation publique « avec les citoyens ».
local participation = filtres.mots_cles({
  "participation citoyenne", "gouvernement ouvert", "concertation", "democratie", "avec les citoyens",
})
relais.filter("participation", function(evenement) return filtres.parle_de(evenement, participation) end)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin etatlin --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre du lundi d’ETAT’LIN aux agents publics des Pays de la Loire",
  build = hebdo.lettre{
    lab = "ETAT’LIN",
    region = REGION,
    a = { "agents-pays-de-la-loire@listes.etatlin.example" },
    objet = "ETAT’LIN — la semaine de l’innovation publique en Pays de la Loire, ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Design des politiques publiques, santé, participation citoyenne : voici les rendez-vous ligériens de la semaine, avec ceux de nos partenaires nantais, et les webinaires nationaux ouverts à tous.",
    signature = "Bonne semaine,\n\nL’équipe d’ETAT’LIN — laboratoire d’innovation publique de l’État en Pays de la Loire (Nantes)",
  },
}
