-- schema-org — le catalogue en JSON-LD schema.org (https://schema.org/Event).
--
--   relais export --format schema-org -o agenda.jsonld
--
-- Le fichier est un tableau JSON d'objets `Event`, chacun avec son propre "@context", prêt à
-- être collé dans une balise <script type="application/ld+json">.
--
-- Correspondance (un objet Event par événement du catalogue) :
--
--   @context              "https://schema.org"
--   @type                 "Event"
--   identifier            id
--   name                  title
--   description           description
--   url                   url (seulement une adresse http:// ou https://)
--   startDate / endDate   le créneau, tel quel : une date (2020-11-17) pour un événement à la
--                         journée — la date de fin est incluse, comme dans le catalogue — ou une
--                         date-heure avec décalage (2020-11-10T09:30:00+01:00) ; pas d'endDate
--                         si le créneau n'a pas de fin
--   eventStatus           scheduled → https://schema.org/EventScheduled
--                         cancelled → https://schema.org/EventCancelled
--                         postponed → https://schema.org/EventPostponed
--   eventAttendanceMode   online sans lieu physique (place vide ou « En ligne »)
--                                     → https://schema.org/OnlineEventAttendanceMode
--                         online avec un lieu physique (« Bordeaux ») → …/MixedEventAttendanceMode
--                         pas online → …/OfflineEventAttendanceMode
--   location              en ligne : VirtualLocation (url si l'événement en a une, sinon son nom) ;
--                         sur place : Place { name = place, address = PostalAddress { région, FR } } ;
--                         mixte : les deux, dans un tableau
--   organizer             Organization { name = organizer }
--   keywords              tags, séparés par des virgules
--   audience              un Audience { audienceType } par public (agents, public, elected…)
--   inLanguage            "fr"
--
-- Plusieurs créneaux : l'événement reste UN objet (un seul identifier, comme dans le
-- catalogue). startDate est le début du premier créneau, endDate la fin du dernier, et
-- `subEvent` liste un Event par créneau (name « titre (séance 1 sur 2) », startDate, endDate,
-- eventStatus, eventAttendanceMode, location). Un événement à un seul créneau n'a pas de
-- subEvent. Le champ `contact` (texte libre) n'a pas d'équivalent dans Event : il n'est pas
-- exporté.

local json = require("relais.json-ordonne")

local STATUTS = {
  scheduled = "https://schema.org/EventScheduled",
  cancelled = "https://schema.org/EventCancelled",
  postponed = "https://schema.org/EventPostponed",
}

local MODES = {
  en_ligne = "https://schema.org/OnlineEventAttendanceMode",
  sur_place = "https://schema.org/OfflineEventAttendanceMode",
  mixte = "https://schema.org/MixedEventAttendanceMode",
}

-- Un lieu physique (pas « En ligne ») et une adresse web http(s) : relais.jours.
local lieu_physique, adresse_web = require("relais.jours").lieu_physique, require("relais.jours").adresse_web

local function mode(evenement)
  if not evenement.online then return "sur_place" end
  if lieu_physique(evenement) then return "mixte" end
  return "en_ligne"
end

local function lieu(evenement, mode_choisi)
  local physique = nil
  if mode_choisi ~= "en_ligne" then
    local nom = lieu_physique(evenement)
    local adresse = nil
    if evenement.region then
      adresse = json.object {
        { "@type", "PostalAddress" },
        { "addressRegion", relais.regions[evenement.region] },
        { "addressCountry", "FR" },
      }
    end
    if nom or adresse then
      physique = json.object { { "@type", "Place" }, { "name", nom }, { "address", adresse } }
    end
  end
  local virtuel = nil
  if mode_choisi ~= "sur_place" then
    local url = adresse_web(evenement.url)
    virtuel = json.object { { "@type", "VirtualLocation" }, { "url", url }, { "name", url == nil and "En ligne" or nil } }
  end
  if physique and virtuel then return json.array { physique, virtuel } end
  return physique or virtuel
end

-- Clé de tri d'un moment : « AAAA-MM-JJTHH:MM » à l'heure de Paris (un jour entier commence à
-- 00:00 et finit à 23:59).
local function cle(temps, fin)
  if #temps == 10 then return temps .. (fin and "T23:59" or "T00:00") end
  return temps:sub(1, 16)
end

local premier = true

relais.exporter {
  name = "schema-org",
  extension = "jsonld",
  mime = "application/ld+json",
  description = "JSON-LD : un tableau d'objets schema.org Event",
  header = function()
    premier = true
    return "["
  end,
  event = function(evenement)
    local mode_choisi = mode(evenement)
    local creneaux = evenement.slots
    local debut, fin = creneaux[1].start, creneaux[1]["end"]
    for i = 2, #creneaux do
      local c = creneaux[i]
      if cle(c.start, false) < cle(debut, false) then debut = c.start end
      local f = c["end"] or c.start
      if fin == nil or cle(f, true) > cle(fin, true) then fin = c["end"] or c.start end
    end

    local objet = json.object {
      { "@context", "https://schema.org" },
      { "@type", "Event" },
      { "identifier", evenement.id },
      { "name", evenement.title },
      { "description", evenement.description },
      { "url", adresse_web(evenement.url) },
      { "startDate", debut },
      { "endDate", fin },
      { "eventStatus", STATUTS[evenement.status] },
      { "eventAttendanceMode", MODES[mode_choisi] },
      { "location", lieu(evenement, mode_choisi) },
    }
    if evenement.organizer then
      json.put(objet, "organizer", json.object { { "@type", "Organization" }, { "name", evenement.organizer } })
    end
    if #evenement.tags > 0 then json.put(objet, "keywords", table.concat(evenement.tags, ", ")) end
    if #evenement.audience > 0 then
      local publics = json.array()
      for _, public in ipairs(evenement.audience) do
        json.push(publics, json.object { { "@type", "Audience" }, { "audienceType", public } })
      end
      json.put(objet, "audience", publics)
    end
    json.put(objet, "inLanguage", "fr")
    if #creneaux > 1 then
      local seances = json.array()
      for index, creneau in ipairs(creneaux) do
        json.push(seances, json.object {
          { "@type", "Event" },
          { "name", string.format("%s (séance %d sur %d)", evenement.title, index, #creneaux) },
          { "startDate", creneau.start },
          { "endDate", creneau["end"] },
          { "eventStatus", STATUTS[evenement.status] },
          { "eventAttendanceMode", MODES[mode_choisi] },
          { "location", lieu(evenement, mode_choisi) },
        })
      end
      json.put(objet, "subEvent", seances)
    end

    local texte = (premier and "\n  " or ",\n  ") .. json.encode(objet, "  ", "  ")
    premier = false
    return texte
  end,
  footer = function()
    return premier and "]\n" or "\n]\n"
  end,
}
