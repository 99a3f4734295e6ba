-- La Base — laboratoire d'innovation publique de Nouvelle-Aquitaine, à Bordeaux, créé en
-- 2017 avec le SGAR. Ces filtres servent à la coordination régionale du Mois de
-- l'innovation publique :
--
--   relais query --filter la-base.region           les événements néo-aquitains
--   relais query --filter la-base.own              ceux organisés avec La Base
--   relais query --filter la-base.region --filter la-base.agents
--   relais export --format markdown --filter la-base.design
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "75" -- Nouvelle-Aquitaine, comme dans manifest.lua
local LAB = "la-base"

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

-- Filtres propres à La Base -----------------------------------------------------------

-- Les outils du lab : design, design de services, sciences comportementales, méthodes
-- agiles, expérience utilisateur.
local methodes = filtres.mots_cles({
  "design", "sciences comportementales", "methode agile", "methodes agiles", "agilite",
  "experience utilisateur", "ux", "co-design", "codesign",
})
relais.filter("design", function(evenement) return filtres.a_un_tag(evenement, methodes) end)

-- Les projets qui passent à l'échelle (Trackdéchets, Resana…) : les rencontres avec la DITP.
local echelle = filtres.mots_cles({ "passage à l'échelle", "laboratoire d'innovation" })
relais.filter("passage-a-l-echelle", function(evenement) return filtres.a_un_tag(evenement, echelle) end)

-- Les rendez-vous de la DRAC et des acteurs culturels.
local drac = filtres.mots_cles({ "DRAC", "ministère de la Culture" })
relais.filter("culture", function(evenement)
  return filtres.tag_est(evenement, { "culture", "patrimoine", "création artistique" })
    or filtres.texte_contient(evenement.organizer, drac)
end)

-- Créateurs, artisans, entrepreneurs (Pitch Toi, Forum Entreprendre dans la Culture…).
local entreprendre = filtres.mots_cles({ "entrepreneuriat", "creation d'entreprise", "artisanat", "pitch" })
relais.filter("entrepreneuriat", function(evenement)
  return filtres.a_un_tag(evenement, entreprendre) or filtres.public_vise(evenement, "entrepreneurs")
end)

-- Notifications ----------------------------------------------------------------------
-- Le site de La Base reçoit les annulations et les reports d'événements néo-aquitains par
-- webhook. L'adresse du webhook est un secret (elle contient un jeton) : elle vient de la
-- configuration (RELAIS_SECRET_LA_BASE_WEBHOOK_URL ou [secrets.la-base] webhook-url),
-- jamais du code. La signature X-Relais-Signature utilise le secret `webhook`.

local changements = require("relais.changements")

local function prevenir_le_site(change)
  if change.after.region ~= REGION then return end
  local adresse = relais.secret("webhook-url")
  if not adresse then
    relais.log("la-base : pas d'adresse de webhook (secret webhook-url) : " .. change.after.id .. " non transmis")
    return
  end
  relais.notify{ channel = "webhook", to = adresse, body = changements.message(change).donnees }
end
relais.on("event.cancelled", prevenir_le_site)
relais.on("event.rescheduled", prevenir_le_site)

-- Lettre hebdomadaire ------------------------------------------------------------------
-- Chaque lundi à 8 h (voir docs/digests.md), la lettre aux agents publics néo-aquitains :
-- la semaine en région, la suivante, les nouveautés et les changements, les webinaires
-- nationaux. Le texte est dans templates/hebdo.mustache : la coordination le modifie sans
-- toucher au code.
--
--   relais digest --plugin la-base --week 2020-W47            aperçu
--   relais digest --plugin la-base --send                     mise en file (une fois par semaine)

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre du lundi de La Base aux agents publics de Nouvelle-Aquitaine",
  build = hebdo.lettre{
    lab = "La Base",
    region = REGION,
    a = { "agents-nouvelle-aquitaine@listes.la-base.example" },
    objet = "La Base — Mois de l’innovation publique, ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Voici le programme de la semaine du Mois de l’innovation publique en Nouvelle-Aquitaine : "
      .. "webinaires, ateliers et rencontres ouverts aux agents de l’État, des collectivités et des "
      .. "établissements publics de la région. Inscrivez-vous vite, les places partent tôt !",
    signature = "À lundi prochain,\n\nL’équipe de La Base — laboratoire d’innovation publique de Nouvelle-Aquitaine",
    gabarit = "hebdo",
  },
}
