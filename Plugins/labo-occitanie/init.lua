-- Le LabO — laboratoire d'innovation publique de l'État en Occitanie, à Toulouse. La DITP
-- le rencontre le 4 décembre 2020. À ne pas confondre avec « le Lab' », la Direction de la
-- Coordination de l'Innovation du conseil régional d'Occitanie, qui anime « Les Ateliers du
-- Lab' » : ces ateliers sont bien dans la région (filtre `region`), pas dans `own`.
--
-- Exemples :
--   relais query --filter labo-occitanie.region    les événements d'Occitanie
--   relais query --filter labo-occitanie.own       ceux organisés avec le lab
--   relais query --filter labo-occitanie.region --filter labo-occitanie.agents
--
-- Un filtre reçoit un événement (lecture seule) et répond true ou false.

local filtres = require("relais.filtres")

local REGION = "76" -- Occitanie, comme dans manifest.lua
local LAB = "labo-occitanie"

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

-- Filtres propres au LabO -------------------------------------------------------------

-- Acculturation à l'innovation : courtes sessions, réunions efficaces, formation.
local acculturation = filtres.mots_cles({ "acculturation", "formation", "reunions", "animation" })
relais.filter("acculturation", function(evenement)
  return evenement.kind == "training" or filtres.a_un_tag(evenement, acculturation)
end)

-- Participation citoyenne et gouvernement ouvert (Convention citoyenne Occitanie…).
local participation = filtres.mots_cles({
  "participation citoyenne", "gouvernement ouvert", "convention citoyenne", "democratie", "concertation",
})
relais.filter("participation", function(evenement) return filtres.parle_de(evenement, participation) end)

-- Transition écologique.
local ecologie = filtres.mots_cles({ "transition ecologique", "ecologie", "environnement", "climat", "low tech" })
relais.filter("transition-ecologique", function(evenement) return filtres.a_un_tag(evenement, ecologie) end)

-- Lettre hebdomadaire du lundi (docs/digests.md) : relais digest --plugin labo-occitanie --week 2020-W47

local hebdo = require("relais.hebdo")

relais.digest{
  name = "hebdo",
  description = "La lettre du lundi du LabO aux agents publics d’Occitanie",
  build = hebdo.lettre{
    lab = "Le LabO",
    region = REGION,
    a = { "agents-occitanie@listes.labo-occitanie.example" },
    objet = "Le LabO — innovation publique en Occitanie, ",
    bonjour = "Bonjour à toutes et à tous,",
    introduction = "Le LabO, laboratoire d’innovation publique de l’État en Occitanie, vous propose le programme de la semaine : les événements de la région (dont les Ateliers du Lab’ de la Région Occitanie) et les webinaires nationaux ouverts à tous.",
    signature = "Bonne semaine, à Toulouse, à Montpellier et partout en Occitanie,\n\nL’équipe du LabO",
  },
}
