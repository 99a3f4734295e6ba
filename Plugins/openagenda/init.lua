-- openagenda — le catalogue dans la structure d'événement d'OpenAgenda (API v2).
--
--   relais export --format openagenda -o evenements.json
--
-- Le fichier est { "events": [ … ] }, un objet par événement du catalogue, avec les champs
-- standards d'un événement OpenAgenda (https://developers.openagenda.com, « Structure d'un
-- événement »). Correspondance :
--
--   uid               l'id relais. Attention : dans OpenAgenda, `uid` est un entier attribué
--                     par OpenAgenda à la création et non modifiable ; pour un versement par
--                     l'API, c'est `extIds` qui relie l'événement à relais.
--   extIds            [{ "key": "relais", "value": id }]
--   title.fr          title, coupé à 140 caractères (limite d'OpenAgenda)
--   description.fr    la description courte (obligatoire, 200 caractères au plus) : la
--                     description si elle tient, sinon sa première phrase, sinon son début
--                     coupé à un mot et suivi de « … » ; sans description : « Webinaire —
--                     organisateur »
--   longDescription.fr  la description entière (10 000 caractères au plus)
--   conditions.fr     contact (texte libre : « Inscription sur le site du CNFPT… »), 255 car.
--   keywords.fr       tags
--   registration      [url] si l'événement a une adresse http(s)
--   timings           [{ begin, end }], date-heures complètes avec le décalage de Paris.
--                     OpenAgenda veut un début ET une fin, des plages de 24 h au plus et qui
--                     ne se chevauchent pas :
--                     - un jour entier (2020-11-17) → 00:00–23:59 ce jour-là ;
--                     - une plage de jours (du 17 au 27 novembre) → une plage 00:00–23:59
--                       par jour ;
--                     - un créneau horaire → tel quel s'il dure 24 h au plus (même à cheval
--                       sur minuit), sinon coupé à minuit : du début à 23:59, puis des
--                       journées 00:00–23:59, puis de 00:00 à la fin ;
--                     - un créneau horaire sans fin → une heure ;
--                     les plages sont triées et les doublons retirés (800 au plus).
--   attendanceMode    1 hors ligne (online = false) ; 2 en ligne (online, sans lieu physique :
--                     place vide ou « En ligne ») ; 3 mixte (online, avec un lieu physique)
--   onlineAccessLink  url, pour les modes 2 et 3 (OpenAgenda l'exige pour ces modes : un
--                     événement en ligne sans url est exporté sans ce champ, à compléter)
--   location          { name, region, countryCode } pour les modes 1 et 3 quand `place` est
--                     connu. En écriture, OpenAgenda attend un `locationUid` (l'identifiant
--                     d'un lieu de l'agenda) : il faut rapprocher le nom d'un lieu existant.
--   timezone          "Europe/Paris"
--   status            1 Programmé (scheduled), 4 Reporté (postponed), 6 Annulé (cancelled).
--                     (OpenAgenda : 2 Reprogrammé, 3 Déplacé en ligne, 5 Complet ne sont pas
--                     produits.)

local json = require("relais.json-ordonne")
local temps = require("lib.temps")

local STATUTS = { scheduled = 1, postponed = 4, cancelled = 6 }

local GENRES = {
  webinar = "Webinaire", workshop = "Atelier", hackathon = "Hackathon", training = "Formation",
  conference = "Conférence", ["round-table"] = "Table ronde", forum = "Forum",
  ["call-for-ideas"] = "Appel à idées", consultation = "Consultation", meeting = "Rencontre",
  podcast = "Podcast", other = "Événement",
}

local MAX_PLAGES = 800

-- Les `n` premiers caractères (UTF-8) de `texte`, coupés à un espace si possible et suivis
-- de « … » ; le texte tel quel s'il tient.
local function couper(texte, n)
  if texte == nil then return nil end
  local longueur = utf8.len(texte)
  if longueur == nil or longueur <= n then return texte end
  local fin = utf8.offset(texte, n) - 1 -- n - 1 caractères, plus « … »
  local debut = texte:sub(1, fin)
  local espace = debut:match("^.*()%s")
  if espace and espace > fin // 2 then debut = debut:sub(1, espace - 1) end
  return (debut:gsub("[%s,;:%.]+$", "")) .. "…"
end

local function description_courte(evenement)
  local texte = evenement.description
  if texte and texte:match("%S") then
    texte = texte:gsub("%s+", " ")
    if utf8.len(texte) and utf8.len(texte) <= 200 then return texte end
    local phrase = texte:match("^(.-[%.!?])%s")
    if phrase and utf8.len(phrase) and utf8.len(phrase) <= 200 then return phrase end
    return couper(texte, 200)
  end
  local texte_genre = GENRES[evenement.kind] or "Événement"
  if evenement.organizer then texte_genre = texte_genre .. " — " .. evenement.organizer end
  return couper(texte_genre, 200)
end

-- Un lieu physique (pas « En ligne ») et une adresse web http(s) : relais.jours.
local lieu_physique, adresse_web = require("relais.jours").lieu_physique, require("relais.jours").adresse_web

-- Les plages d'un créneau, en instants { debut, fin }.
local function plages(creneau, liste)
  local debut, fin = temps.lire(creneau.start), creneau["end"] and temps.lire(creneau["end"])
  if debut == nil or (creneau["end"] and fin == nil) then
    error(string.format("openagenda : heure illisible dans le créneau %s – %s", creneau.start,
      tostring(creneau["end"])))
  end
  local t_debut = debut.instant or temps.local_vers_instant(debut.jour, 0, 0)
  local t_fin
  if fin == nil then
    t_fin = debut.instant and debut.instant + 3600 or temps.local_vers_instant(debut.jour, 23, 59)
  else
    t_fin = fin.instant or temps.local_vers_instant(fin.jour, 23, 59)
  end
  if debut.instant and (fin == nil or fin.instant) and t_fin - t_debut <= 86400 then
    if t_fin > t_debut then liste[#liste + 1] = { t_debut, t_fin } end
    return
  end
  local premier, dernier = temps.jour_de(t_debut), temps.jour_de(t_fin)
  for jour = premier, dernier do
    local b = jour == premier and t_debut or temps.local_vers_instant(jour, 0, 0)
    local e = jour == dernier and t_fin or temps.local_vers_instant(jour, 23, 59)
    if e > b then liste[#liste + 1] = { b, e } end
    if #liste > MAX_PLAGES then return end
  end
end

local function horaires(evenement)
  local liste = {}
  for _, creneau in ipairs(evenement.slots) do plages(creneau, liste) end
  table.sort(liste, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local sortie = json.array()
  local precedent
  for _, plage in ipairs(liste) do
    if not (precedent and precedent[1] == plage[1] and precedent[2] == plage[2]) then
      if #sortie.liste == MAX_PLAGES then
        relais.log(string.format("openagenda : %s a plus de %d plages horaires ; seules les %d premières sont exportées",
          evenement.id, MAX_PLAGES, MAX_PLAGES))
        break
      end
      json.push(sortie, json.object { { "begin", temps.texte(plage[1]) }, { "end", temps.texte(plage[2]) } })
    end
    precedent = plage
  end
  return sortie
end

local function fr(texte)
  if texte == nil or not texte:match("%S") then return nil end
  return json.object { { "fr", texte } }
end

local premier = true

relais.exporter {
  name = "openagenda",
  extension = "json",
  mime = "application/json",
  description = "JSON dans la structure d'événement d'OpenAgenda (API v2)",
  header = function()
    premier = true
    return '{\n  "events": ['
  end,
  event = function(evenement)
    local lieu = lieu_physique(evenement)
    local mode = not evenement.online and 1 or (lieu and 3 or 2)
    local url = adresse_web(evenement.url)
    local mots = json.array()
    for _, tag in ipairs(evenement.tags) do json.push(mots, tag) end

    local objet = json.object {
      { "uid", evenement.id },
      { "extIds", json.array { json.object { { "key", "relais" }, { "value", evenement.id } } } },
      { "title", fr(couper(evenement.title, 140)) },
      { "description", fr(description_courte(evenement)) },
      { "longDescription", fr(couper(evenement.description, 10000)) },
      { "conditions", fr(couper(evenement.contact, 255)) },
      { "keywords", json.object { { "fr", mots } } },
      { "registration", url and json.array { url } or nil },
      { "timings", horaires(evenement) },
      { "attendanceMode", mode },
      { "onlineAccessLink", mode ~= 1 and url or nil },
    }
    if mode ~= 2 and lieu then
      json.put(objet, "location", json.object {
        { "name", lieu },
        { "region", evenement.region and relais.regions[evenement.region] or nil },
        { "countryCode", "FR" },
      })
    end
    json.put(objet, "timezone", "Europe/Paris")
    json.put(objet, "status", STATUTS[evenement.status] or 1)

    local texte = (premier and "\n    " or ",\n    ") .. json.encode(objet, "  ", "    ")
    premier = false
    return texte
  end,
  footer = function()
    return premier and "]\n}\n" or "\n  ]\n}\n"
  end,
}
