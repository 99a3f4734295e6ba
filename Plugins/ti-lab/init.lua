-- Ti-Lab — laboratoire régional d'innovation publique de Bretagne, à Rennes, porté par
-- l'État et la Région. La DITP y rencontre le lab et les porteurs de projets le 13 novembre
-- 2020 (rencontre destinée à la presse, sur le passage à l'échelle).
--
-- Exemples :
--   relais query --filter ti-lab.region            les événements bretons
--   relais query --filter ti-lab.own               ceux organisés avec le lab
--   relais query --filter ti-lab.region --filter ti-lab.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "53" -- Bretagne, comme dans manifest.lua
local LAB = "ti-lab"

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

-- Filtres propres à Ti-Lab ------------------------------------------------------------

-- Les rendez-vous destinés à la presse (public « press » ou tag « presse »).
relais.filter("presse", function(evenement)
  return filtres.public_vise(evenement, "press") or filtres.tag_est(evenement, { "presse" })
end)

-- Passer à l'échelle : les rencontres DITP–labs et les projets qui essaiment.
local echelle = filtres.mots_cles({ "passage à l'échelle", "essaimage", "laboratoire d'innovation" })
relais.filter("passage-a-l-echelle", function(evenement) return filtres.a_un_tag(evenement, echelle) end)

-- Participation citoyenne, gouvernement ouvert, concertation.
local participation = filtres.mots_cles({
  "participation citoyenne", "gouvernement ouvert", "democratie", "concertation", "convention citoyenne",
})
relais.filter("participation", function(evenement) return filtres.parle_de(evenement, participation) end)

-- Design des politiques publiques et design de services.
local design = filtres.mots_cles({ "design", "co-design", "codesign", "experience utilisateur" })
relais.filter("design", function(evenement) return filtres.a_un_tag(evenement, design) end)

-- Notifications ----------------------------------------------------------------------
-- Les agents bretons inscrits à la liste du Ti-Lab reçoivent un courriel quand un
-- événement de Bretagne est annulé ou change de date.

local changements = require("relais.changements")

local LISTE = "mois-innovation@ti-lab.bzh"

local function ecrire_aux_agents(change)
  if change.after.region ~= REGION then return end
  local message = changements.message(change)
  relais.notify{ channel = "sendmail", to = LISTE, subject = "[Ti-Lab] " .. message.sujet,
    body = message.texte, html = message.html }
end
relais.on("event.cancelled", ecrire_aux_agents)
relais.on("event.rescheduled", ecrire_aux_agents)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin ti-lab --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre du lundi du Ti-Lab aux agents publics bretons",
  build = hebdo.lettre{
    lab = "Ti-Lab",
    region = REGION,
    a = LISTE,
    objet = "Ti-Lab — la semaine de l’innovation publique en Bretagne, ",
    bonjour = "Demat, bonjour à toutes et à tous,",
    introduction = "Chaque lundi, le Ti-Lab vous donne rendez-vous avec les temps forts de l’innovation publique en Bretagne : webinaires, ateliers et rencontres ouverts aux agents de l’État et des collectivités bretonnes. N’hésitez pas à faire suivre à vos équipes.",
    signature = "Kenavo et bonne semaine,\n\nL’équipe du Ti-Lab — laboratoire régional d’innovation publique de Bretagne (Rennes)",
    message_vide = "Pas de rendez-vous breton au programme cette semaine, ni de webinaire national : c’est le moment de nous écrire si vous portez un projet que le Ti-Lab peut accompagner. À lundi prochain !",
  },
}
