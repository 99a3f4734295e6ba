-- La Fabrique RH — laboratoire d'innovation publique d'Île-de-France, tourné vers les
-- ressources humaines de la fonction publique : recrutement, parcours, management,
-- nouveaux modes de travail, formation des agents.
--
-- Exemples :
--   relais query --filter fabrique-rh.region       les événements franciliens
--   relais query --filter fabrique-rh.own          ceux organisés avec le lab
--   relais query --filter fabrique-rh.region --filter fabrique-rh.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "11" -- Île-de-France, comme dans manifest.lua
local LAB = "fabrique-rh"

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

-- Filtres propres à La Fabrique RH ----------------------------------------------------

-- Ressources humaines : fonction publique, diversité des recrutements, management,
-- jeunes agents, culture de l'innovation, nouveaux modes de travail.
local rh = filtres.mots_cles({
  "fonction publique", "ressources humaines", "recrutement", "diversite", "management", "managers",
  "culture de l'innovation", "jeunes agents", "modes de travail", "pouvoir d'agir", "competences",
})
local sigles_rh = filtres.mots_cles({ "RH", "GRH" }, true) -- mots entiers : « rh » n'est pas « Rhône »
relais.filter("rh", function(evenement)
  return filtres.parle_de(evenement, rh) or filtres.parle_de(evenement, sigles_rh)
end)

-- Se former : les formations et les parcours (type « training » ou tag « formation »).
local formation = filtres.mots_cles({ "formation", "parcours didactique", "acculturation" })
relais.filter("formation", function(evenement)
  return evenement.kind == "training" or filtres.a_un_tag(evenement, formation)
end)

-- Travailler à distance, réunions à distance, confinement.
local distance = filtres.mots_cles({ "travail à distance", "réunions à distance", "teletravail", "confinement" })
relais.filter("travail-a-distance", function(evenement) return filtres.a_un_tag(evenement, distance) end)

-- Données publiques et open data (l'appel à idées de la DINUM…).
local donnees = filtres.mots_cles({ "donnees publiques", "open data", "donnees" })
relais.filter("donnees", function(evenement) return filtres.a_un_tag(evenement, donnees) end)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin fabrique-rh --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre RH du lundi aux professionnels RH et managers publics d’Île-de-France",
  build = hebdo.lettre{
    lab = "La Fabrique RH",
    region = REGION,
    a = { "rh-ile-de-france@listes.fabrique-rh.example" },
    objet = "La Fabrique RH — ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Recrutement, management, parcours, nouveaux modes de travail : voici ce que le Mois de l’innovation publique propose cette semaine aux professionnels RH et aux managers publics franciliens, et les webinaires nationaux à ne pas manquer.",
    signature = "Bonne semaine,\n\nLa Fabrique RH — laboratoire d’innovation RH de la fonction publique en Île-de-France",
    message_vide = "Semaine calme côté innovation RH en Île-de-France : aucun événement n’est annoncé. Si vous préparez un atelier pour vos équipes, écrivez-nous : nous le relaierons dans la prochaine lettre.",
  },
}
