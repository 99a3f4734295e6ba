-- relais.jours — range les créneaux des événements jour par jour, au fil de l'export.
--
-- Les événements arrivent triés par leur premier créneau. Un événement à plusieurs
-- créneaux (deux tables-rondes, le 10 et le 17 novembre) doit pourtant paraître sous
-- chacun de ses jours. Chaque créneau attend donc dans une file triée ; quand arrive un
-- événement qui commence à l'instant T, tout ce qui commence au plus tard à T peut être
-- écrit, car aucun événement à venir ne commencera avant T. Seuls les créneaux ultérieurs
-- d'événements déjà lus attendent : la mémoire reste petite, même pour un gros catalogue.
--
-- Une plage de jours (du 17 au 27 novembre) est un seul créneau : elle paraît sous son
-- premier jour.

-- Module livré avec Relais (require("relais.jours")), utilisé par les exports markdown
-- et html.

local jours = {}

-- Clé de tri d'un début : « 2020-11-10 » pour un jour entier (avant les heures du même
-- jour), « 2020-11-10T09:30 » pour une heure (l'heure de Paris, que portent déjà les textes).
local function cle(temps)
  if #temps == 10 then return temps end
  return temps:sub(1, 16)
end

function jours.nouvelle_file()
  return { tas = {}, numero = 0, nombre = 0 }
end

-- La file est un tas binaire ordonné par (clé, numéro d'arrivée) : à clé égale, l'ordre
-- d'arrivée est gardé.
local function avant(a, b)
  if a.cle ~= b.cle then return a.cle < b.cle end
  return a.numero < b.numero
end

local function empiler(tas, entree)
  local i = #tas + 1
  tas[i] = entree
  while i > 1 do
    local parent = i // 2
    if not avant(tas[i], tas[parent]) then break end
    tas[i], tas[parent] = tas[parent], tas[i]
    i = parent
  end
end

local function depiler(tas)
  local premier, n = tas[1], #tas
  tas[1] = tas[n]
  tas[n] = nil
  n = n - 1
  local i = 1
  while true do
    local plus_petit, gauche, droite = i, 2 * i, 2 * i + 1
    if gauche <= n and avant(tas[gauche], tas[plus_petit]) then plus_petit = gauche end
    if droite <= n and avant(tas[droite], tas[plus_petit]) then plus_petit = droite end
    if plus_petit == i then break end
    tas[i], tas[plus_petit] = tas[plus_petit], tas[i]
    i = plus_petit
  end
  return premier
end

-- Ajoute les créneaux de `evenement` à la file et renvoie, dans l'ordre, les entrées qui
-- peuvent déjà être écrites : { evenement, creneau, rang, total, jour = "AAAA-MM-JJ" }.
function jours.ajouter(file, evenement)
  file.nombre = file.nombre + 1
  local creneaux = evenement.slots
  local plus_tot
  for rang, creneau in ipairs(creneaux) do
    file.numero = file.numero + 1
    local entree = {
      evenement = evenement, creneau = creneau, rang = rang, total = #creneaux, numero = file.numero,
      cle = cle(creneau.start), jour = creneau.start:sub(1, 10),
    }
    empiler(file.tas, entree)
    if plus_tot == nil or entree.cle < plus_tot then plus_tot = entree.cle end
  end
  return jours.sortir(file, plus_tot)
end

-- Retire de la file, dans l'ordre, les entrées qui commencent au plus tard à `limite`
-- (toutes si nil).
function jours.sortir(file, limite)
  local prets, tas = {}, file.tas
  while tas[1] and (limite == nil or tas[1].cle <= limite) do prets[#prets + 1] = depiler(tas) end
  return prets
end

-- « 9h30–11h30 », « toute la journée », « du 17 au 27 novembre 2020 »,
-- « du mardi 10 novembre 2020, 22h au mercredi 11 novembre 2020, 1h30 ».
function jours.horaire(creneau)
  local debut, fin = creneau.start, creneau["end"]
  if fin == nil or fin:sub(1, 10) == debut:sub(1, 10) then
    if #debut == 10 then return "toute la journée" end
    local texte = relais.date.format(debut, "%h")
    if fin and fin ~= debut and #fin > 10 then texte = texte .. "–" .. relais.date.format(fin, "%h") end
    return texte
  end
  return relais.date.slot(creneau)
end

jours.genres = {
  webinar = "webinaire", workshop = "atelier", hackathon = "hackathon", training = "formation",
  conference = "conférence", ["round-table"] = "table ronde", forum = "forum",
  ["call-for-ideas"] = "appel à idées", consultation = "consultation", meeting = "rencontre",
  podcast = "podcast", other = "autre",
}

-- Vrai si `place` désigne un lieu physique, et pas « En ligne ».
function jours.lieu_physique(evenement)
  local lieu = evenement.place
  if lieu == nil or lieu:match("^%s*$") then return nil end
  local replie = relais.text.fold(lieu)
  if replie:match("^%s*en ligne%s*$") or replie:match("^%s*online%s*$") or replie:find("visioconf", 1, true)
    or replie:find("distanciel", 1, true) then
    return nil
  end
  return lieu
end

-- Une adresse web : http ou https seulement (pour les champs `url` des formats publiés).
function jours.adresse_web(url)
  if url and url:match("^[Hh][Tt][Tt][Pp][Ss]?://%S") then return url end
  return nil
end

-- Une adresse qu'on peut mettre en lien : http, https ou mailto seulement.
function jours.lien_sur(url)
  if url and (url:match("^[Hh][Tt][Tt][Pp][Ss]?://%S") or url:match("^[Mm][Aa][Ii][Ll][Tt][Oo]:%S")) then
    return url
  end
  return nil
end

return jours
