-- relais.agenda — l'agenda de la semaine et le bilan d'une région, pour les scripts
-- `relais run` des labs (Plugins/<lab>/scripts/agenda.lua et bilan.lua) :
--
--   return require("relais.agenda").agenda { nom = "La Base", region = "75", lab = "la-base",
--                                            script = "Plugins/la-base/scripts/agenda.lua" }
--
-- Module livré avec Relais : il n'utilise que l'API publique `relais`, dans le bac à sable
-- du script qui le charge.

local M = {}

local genres = {
  webinar = "webinaire", workshop = "atelier", hackathon = "hackathon", training = "formation",
  conference = "conférence", ["round-table"] = "table ronde", forum = "forum",
  ["call-for-ideas"] = "appel à idées", consultation = "consultation", meeting = "rencontre",
  podcast = "podcast", other = "autre",
}
M.genres = genres

-- « de Bretagne », « des Hauts-de-France », « d'Île-de-France »…
local de_la_region = {
  ["01"] = "de la Guadeloupe", ["02"] = "de la Martinique", ["03"] = "de la Guyane", ["04"] = "de La Réunion",
  ["06"] = "de Mayotte", ["11"] = "d’Île-de-France", ["24"] = "du Centre-Val de Loire",
  ["27"] = "de Bourgogne-Franche-Comté", ["28"] = "de Normandie", ["32"] = "des Hauts-de-France",
  ["44"] = "du Grand Est", ["52"] = "des Pays de la Loire", ["53"] = "de Bretagne", ["75"] = "de Nouvelle-Aquitaine",
  ["76"] = "d’Occitanie", ["84"] = "d’Auvergne-Rhône-Alpes", ["93"] = "de Provence-Alpes-Côte d’Azur",
  ["94"] = "de Corse",
}
local function de(region)
  return de_la_region[region] or ("de " .. (relais.regions[region] or region))
end

local publics = {
  agents = "agents", public = "grand public", elected = "élus", press = "presse",
  partners = "partenaires", entrepreneurs = "entrepreneurs", associations = "associations",
}

-- Jours du calendrier : voir relais.calendrier.
local calendrier = require("relais.calendrier")
local jours_depuis_epoque, date_du_jour = calendrier.jours, calendrier.texte

local function lire_jour(texte)
  local a, m, j = texte:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not a then return nil end
  a, m, j = tonumber(a), tonumber(m), tonumber(j)
  if m < 1 or m > 12 or j < 1 or j > 31 then return nil end
  local n = jours_depuis_epoque(a, m, j)
  if date_du_jour(n) ~= texte then return nil end -- 31 novembre, 29 février 2021…
  return n
end

-- Le lundi (nombre de jours) de la semaine ISO `annee`-W`semaine`, ou nil.
local function lundi_de_la_semaine(annee, semaine)
  local quatre_janvier = jours_depuis_epoque(annee, 1, 4)
  local jour_semaine = (quatre_janvier + 3) % 7 + 1 -- 1 = lundi (le 1/1/1970 était un jeudi)
  local lundi = quatre_janvier - (jour_semaine - 1) + (semaine - 1) * 7
  -- La semaine 53 n'existe pas toutes les années : relais.date.week tranche.
  if relais.date.week(date_du_jour(lundi)) ~= string.format("%04d-W%02d", annee, semaine) then return nil end
  return lundi
end

-- La semaine demandée : « 2020-W47 », « 2020-w47 », une date « 2020-11-17 », ou rien
-- (la semaine en cours). Renvoie le lundi et le dimanche (« AAAA-MM-JJ ») et le nom ISO
-- de la semaine, ou nil et un message.
function M.semaine(argument)
  if argument == nil then
    local maintenant = os.date("*t")
    argument = string.format("%04d-%02d-%02d", maintenant.year, maintenant.month, maintenant.day)
  end
  local annee, semaine = argument:match("^(%d%d%d%d)%-[Ww](%d%d?)$")
  local lundi
  if annee then
    lundi = lundi_de_la_semaine(tonumber(annee), tonumber(semaine))
    if not lundi then return nil, string.format("la semaine '%s' n'existe pas", argument) end
  else
    local jour = lire_jour(argument)
    if not jour then
      return nil, string.format("'%s' n'est ni une semaine (2020-W47) ni une date (2020-11-17)", argument)
    end
    local iso = relais.date.week(argument)
    lundi = lundi_de_la_semaine(tonumber(iso:sub(1, 4)), tonumber(iso:sub(7)))
  end
  return date_du_jour(lundi), date_du_jour(lundi + 6), relais.date.week(date_du_jour(lundi))
end

M.lire_jour = lire_jour
M.date_du_jour = date_du_jour

-- ---------------------------------------------------------------------------------------
-- Écriture des événements.

-- Le jour (« AAAA-MM-JJ ») où commence et où finit un créneau, à l'heure de Paris : les
-- instants arrivent déjà avec le décalage de Paris, leurs dix premiers caractères sont
-- donc le jour local.
local function jours_du_creneau(creneau)
  return creneau.start:sub(1, 10), (creneau["end"] or creneau.start):sub(1, 10)
end

-- « toute la journée », « 9h30–11h30 », « du 12 au 13 novembre 2020 »…
local function horaire(creneau)
  local debut, fin = jours_du_creneau(creneau)
  if debut ~= fin then return relais.date.slot(creneau) end
  if #creneau.start == 10 then return "toute la journée" end
  local texte = relais.date.format(creneau.start, "%h")
  if creneau["end"] and creneau["end"] ~= creneau.start then
    texte = texte .. "–" .. relais.date.format(creneau["end"], "%h")
  end
  return texte
end

local function ou(evenement)
  local lieu = evenement.place
  if lieu == "" then lieu = nil end
  if evenement.online then
    if lieu == nil or relais.text.fold(lieu) == "en ligne" then return "en ligne" end
    return lieu .. " et en ligne"
  end
  return lieu or "lieu à préciser"
end

local function statut(evenement)
  if evenement.status == "cancelled" then return "ANNULÉ — " end
  if evenement.status == "postponed" then return "REPORTÉ — " end
  return ""
end

local function ligne(config, evenement, creneau, national)
  local marques = {}
  if evenement.lab == config.lab then marques[#marques + 1] = "★ " .. config.nom end
  if national and evenement.region == nil then marques[#marques + 1] = "national" end
  local details = {}
  if evenement.organizer then details[#details + 1] = evenement.organizer end
  details[#details + 1] = ou(evenement)
  if evenement.url then details[#details + 1] = evenement.url end
  local texte = string.format("  • %s%s — %s, %s", statut(evenement), evenement.title,
    genres[evenement.kind] or evenement.kind, horaire(creneau))
  if #marques > 0 then texte = texte .. " [" .. table.concat(marques, ", ") .. "]" end
  local suite = table.concat(details, " · ")
  return texte .. "\n    " .. suite:sub(1, 1):upper() .. suite:sub(2)
end

local function usage_agenda(config)
  return string.format("usage : relais run %s [SEMAINE] [--national]\n"
    .. "  SEMAINE : 2020-W47, ou une date de la semaine (2020-11-17) ; par défaut la semaine en cours\n"
    .. "  --national : ajoute les événements nationaux (sans région)", config.script or "scripts/agenda.lua")
end

-- relais run scripts/agenda.lua [SEMAINE] [--national] : les événements de la région
-- pendant une semaine ISO, jour par jour.
function M.agenda(config)
  local argument, national
  for _, texte in ipairs(relais.args) do
    if texte == "-h" or texte == "--help" or texte == "--aide" then
      print(usage_agenda(config))
      return 0
    elseif texte == "--national" then
      national = true
    elseif texte:sub(1, 1) == "-" or argument ~= nil then
      relais.log(string.format("agenda : argument inattendu '%s'\n%s", texte, usage_agenda(config)))
      return 1
    else
      argument = texte
    end
  end
  local lundi, dimanche, nom = M.semaine(argument)
  if not lundi then
    relais.log("agenda : " .. dimanche .. "\n" .. usage_agenda(config))
    return 1
  end
  local region = config.region
  local regions = national and { region, "national" } or region

  -- Les créneaux de la semaine vont sous leur premier jour (une plage de jours avec ses
  -- dates : « du 12 au 13 novembre ») ; ceux qui ont commencé avant le lundi vont en tête,
  -- « déjà en cours ».
  local continus, par_jour, nombre, du_lab = {}, {}, 0, 0
  for evenement in relais.events { region = regions, from = lundi, to = dimanche } do
    nombre = nombre + 1
    if evenement.lab == config.lab then du_lab = du_lab + 1 end
    for _, creneau in ipairs(evenement.slots) do
      local debut, fin = jours_du_creneau(creneau)
      if fin >= lundi and debut <= dimanche then
        local texte = ligne(config, evenement, creneau, national)
        if debut < lundi then
          continus[#continus + 1] = texte
        else
          local jour = par_jour[debut]
          if not jour then jour = {}; par_jour[debut] = jour end
          -- clé de tri : le jour entier avant les heures, puis l'heure, puis l'ordre d'arrivée
          jour[#jour + 1] = { cle = #creneau.start == 10 and "" or creneau.start:sub(12, 16), rang = #jour + 1,
            texte = texte }
        end
      end
    end
  end

  print(string.format("%s — agenda %s%s", config.nom, de(region), national and " et national" or ""))
  local debut_semaine = lundi:sub(1, 4) ~= dimanche:sub(1, 4) and "%A %d %B %Y"
    or lundi:sub(6, 7) ~= dimanche:sub(6, 7) and "%A %d %B" or "%A %d"
  print(string.format("Semaine %s, du %s au %s", nom, relais.date.format(lundi, debut_semaine),
    relais.date.format(dimanche, "%A %d %B %Y")))
  if nombre == 0 then
    print("\nAucun événement cette semaine.")
    return 0
  end
  if #continus > 0 then
    print("\nDéjà en cours")
    for _, texte in ipairs(continus) do print(texte) end
  end
  local debut = lire_jour(lundi)
  for n = debut, debut + 6 do
    local jour = date_du_jour(n)
    local lignes = par_jour[jour]
    if lignes then
      table.sort(lignes, function(a, b)
        if a.cle ~= b.cle then return a.cle < b.cle end
        return a.rang < b.rang
      end)
      print("\n" .. relais.date.format(jour, "%A %d %B"))
      for _, ligne in ipairs(lignes) do print(ligne.texte) end
    end
  end
  local avec = du_lab == 0 and "" or string.format(", dont %d organisé%s avec %s", du_lab,
    du_lab > 1 and "s" or "", config.nom)
  print(string.format("\n%d événement%s%s.", nombre, nombre > 1 and "s" or "", avec))
  return 0
end

local function usage_bilan(config)
  return string.format("usage : relais run %s [MOIS | DU AU]\n"
    .. "  MOIS : 2020-11 ; DU AU : deux dates (2020-11-02 2020-11-30) ; par défaut tout le catalogue",
    config.script or "scripts/bilan.lua")
end

-- relais run scripts/bilan.lua [MOIS | DU AU] : le nombre d'événements de la région par
-- type, par public et par mode, sur un mois, une période ou tout le catalogue.
function M.bilan(config)
  local args = relais.args
  if args[1] == "-h" or args[1] == "--help" or args[1] == "--aide" then
    print(usage_bilan(config))
    return 0
  end
  local du, au, periode
  if #args == 1 then
    local annee, mois = args[1]:match("^(%d%d%d%d)%-(%d%d)$")
    if not annee or tonumber(mois) < 1 or tonumber(mois) > 12 then
      relais.log(string.format("bilan : '%s' n'est pas un mois (2020-11)\n%s", args[1], usage_bilan(config)))
      return 1
    end
    du = args[1] .. "-01"
    local suivant = tonumber(mois) == 12 and string.format("%04d-01-01", tonumber(annee) + 1)
      or string.format("%s-%02d-01", annee, tonumber(mois) + 1)
    au = date_du_jour(lire_jour(suivant) - 1)
    periode = relais.date.format(du, "en %B %Y")
  elseif #args == 2 then
    if not lire_jour(args[1]) or not lire_jour(args[2]) then
      relais.log("bilan : DU et AU doivent être des dates (2020-11-02 2020-11-30)\n" .. usage_bilan(config))
      return 1
    end
    if args[2] < args[1] then
      relais.log(string.format("bilan : la période finit (%s) avant de commencer (%s)", args[2], args[1]))
      return 1
    end
    du, au = args[1], args[2]
    periode = relais.date.slot { start = du, ["end"] = au }
  elseif #args > 2 then
    relais.log("bilan : trop d'arguments\n" .. usage_bilan(config))
    return 1
  else
    periode = "dans tout le catalogue"
  end

  local total, du_lab, en_ligne, annules = 0, 0, 0, 0
  local par_genre, par_public = {}, {}
  for evenement in relais.events { region = config.region, from = du, to = au } do
    total = total + 1
    if evenement.lab == config.lab then du_lab = du_lab + 1 end
    if evenement.online then en_ligne = en_ligne + 1 end
    if evenement.status == "cancelled" then annules = annules + 1 end
    par_genre[evenement.kind] = (par_genre[evenement.kind] or 0) + 1
    for _, public in ipairs(evenement.audience) do par_public[public] = (par_public[public] or 0) + 1 end
  end

  -- string.format compte les octets : on complète à la main pour aligner les accents.
  local function colonne(texte, largeur)
    return texte .. string.rep(" ", largeur - (utf8.len(texte) or #texte))
  end

  -- Les noms en français, du plus fréquent au plus rare, puis dans l'ordre alphabétique.
  local function trier(compte, noms)
    local lignes = {}
    for cle, nombre in pairs(compte) do lignes[#lignes + 1] = { nom = noms[cle] or cle, nombre = nombre } end
    table.sort(lignes, function(a, b)
      if a.nombre ~= b.nombre then return a.nombre > b.nombre end
      return relais.text.fold(a.nom) < relais.text.fold(b.nom)
    end)
    return lignes
  end

  print(string.format("%s — bilan %s %s", config.nom, de(config.region), periode))
  print(string.format("%d événement%s, dont %d avec %s, %d en ligne, %d annulé%s.", total, total > 1 and "s" or "",
    du_lab, config.nom, en_ligne, annules, annules > 1 and "s" or ""))
  if total == 0 then return 0 end
  print("\nPar type")
  for _, ligne in ipairs(trier(par_genre, genres)) do
    print(string.format("  %s %3d", colonne(ligne.nom, 16), ligne.nombre))
  end
  print("\nPar public")
  for _, ligne in ipairs(trier(par_public, publics)) do
    print(string.format("  %s %3d", colonne(ligne.nom, 16), ligne.nombre))
  end
  return 0
end

return M
