-- relais.hebdo — la lettre hebdomadaire d'un lab, pour relais.digest :
--
--   local hebdo = require("relais.hebdo")
--   relais.digest{ name = "hebdo", build = hebdo.lettre{
--     lab = "La Base", region = "75", a = "agents@exemple.fr",
--     bonjour = "Bonjour à toutes et à tous,", introduction = "…", signature = "L'équipe de La Base",
--     gabarit = "hebdo",   -- facultatif : templates/hebdo.mustache rend le Markdown
--   } }
--
-- Sections : cette semaine et la semaine prochaine dans la région, les nouveautés et les
-- reports ou annulations enregistrés la semaine passée, les webinaires nationaux ouverts à
-- tous. Une semaine sans rien reçoit un court message, jamais un courriel vide.
--
-- hebdo.contexte(week, options) donne les mêmes données en table (pour un gabarit ou un
-- autre rendu) ; hebdo.markdown(contexte) le rendu Markdown par défaut ; hebdo.echapper
-- protège un texte du catalogue dans du Markdown.
--
-- Module livré avec Relais : il n'utilise que l'API publique `relais`, dans le bac à sable
-- du plugin qui le charge.

local M = {}

-- Les noms de genres de relais.agenda, sauf « autre » : une lettre dit « rendez-vous ».
local genres = setmetatable({ other = "rendez-vous" }, { __index = require("relais.agenda").genres })

local de_la_region = {
  ["01"] = "en Guadeloupe", ["02"] = "en Martinique", ["03"] = "en Guyane", ["04"] = "à La Réunion",
  ["06"] = "à Mayotte", ["11"] = "en Île-de-France", ["24"] = "en Centre-Val de Loire",
  ["27"] = "en Bourgogne-Franche-Comté", ["28"] = "en Normandie", ["32"] = "dans les Hauts-de-France",
  ["44"] = "dans le Grand Est", ["52"] = "dans les Pays de la Loire", ["53"] = "en Bretagne",
  ["75"] = "en Nouvelle-Aquitaine", ["76"] = "en Occitanie", ["84"] = "en Auvergne-Rhône-Alpes",
  ["93"] = "en Provence-Alpes-Côte d’Azur", ["94"] = "en Corse",
}

-- Les caractères que Markdown lirait comme une mise en forme.
function M.echapper(texte)
  return (tostring(texte):gsub("[\\`*_{}%[%]<>#|!]", "\\%0"))
end
local echapper = M.echapper

local function jour(texte) return texte:sub(1, 10) end

-- Les créneaux d'un événement qui touchent les jours [debut, fin].
local function creneaux_dans(evenement, debut, fin)
  local choisis = {}
  for _, creneau in ipairs(evenement.slots) do
    local premier = jour(creneau.start)
    local dernier = creneau["end"] and jour(creneau["end"]) or premier
    if premier <= fin and dernier >= debut then choisis[#choisis + 1] = creneau end
  end
  return choisis
end

-- Une ligne d'événement : quand, quoi, où, par qui.
local function fiche(evenement, debut, fin)
  local creneaux = debut and creneaux_dans(evenement, debut, fin) or {}
  if #creneaux == 0 then creneaux = evenement.slots end
  local premier = creneaux[1]
  local quand = ""
  if premier then
    local fin_creneau = premier["end"]
    if #premier.start == 10 and (fin_creneau == nil or fin_creneau == premier.start) then
      quand = relais.date.format(premier.start, "%A %d %B") -- un seul jour : « jeudi 19 novembre »
    else
      quand = relais.date.slot(premier, { year = false })
    end
  end
  quand = quand:gsub("^%l", string.upper)
  local autres = #creneaux - 1
  local details = { genres[evenement.kind] or evenement.kind }
  if evenement.online then
    details[#details + 1] = "en ligne"
  elseif evenement.place then
    details[#details + 1] = evenement.place
  end
  local statut
  if evenement.status == "cancelled" then statut = "annulé"
  elseif evenement.status == "postponed" then statut = "reporté" end
  return {
    id = evenement.id,
    quand = quand,
    autres_dates = autres > 0 and (autres == 1 and "et une autre date" or ("et " .. autres .. " autres dates")) or nil,
    titre = evenement.title,
    titre_md = echapper(evenement.title),
    details = table.concat(details, ", "),
    details_md = echapper(table.concat(details, ", ")),
    organisateur = evenement.organizer,
    organisateur_md = evenement.organizer and echapper(evenement.organizer) or nil,
    lien = evenement.url,
    statut = statut,
    tri = premier and premier.start or "",
    commence = premier ~= nil and debut ~= nil and jour(premier.start) >= debut,
  }
end

local function trier(fiches)
  table.sort(fiches, function(a, b)
    if a.tri ~= b.tri then return a.tri < b.tri end
    return a.id < b.id
  end)
  return fiches
end

-- Une lettre se lit : au-delà de `maximum` lignes par section, elle renvoie au programme.
local MAXIMUM = 60

-- Les événements d'une semaine, dans l'ordre de leurs dates. Au-delà de `maximum`, ceux qui
-- commencent dans la semaine passent avant ceux qui durent depuis plus tôt.
local function agenda(week_or_nil, evenements, garder, maximum, seulement_nouveaux)
  local debut = week_or_nil and week_or_nil.start
  local fin = week_or_nil and week_or_nil["end"]
  local nouveaux, en_cours = {}, {}
  for _, evenement in ipairs(evenements) do
    if evenement.status ~= "cancelled" and (not garder or garder(evenement)) then
      local item = fiche(evenement, debut, fin)
      if item.commence or not debut then
        nouveaux[#nouveaux + 1] = item
      elseif not seulement_nouveaux then
        en_cours[#en_cours + 1] = item
      end
    end
  end
  trier(nouveaux)
  trier(en_cours)
  local fiches = {}
  for _, liste in ipairs({ nouveaux, en_cours }) do
    for _, item in ipairs(liste) do
      if #fiches < maximum then fiches[#fiches + 1] = item end
    end
  end
  return trier(fiches), #nouveaux + #en_cours - #fiches
end

-- Les changements d'une semaine, un par événement : le dernier, sauf qu'un événement ajouté
-- puis modifié reste une nouveauté (et une nouveauté annulée aussitôt n'est qu'une annulation).
local function changements(week, filtres, garder, maximum)
  local dernier, ajoute, ordre = {}, {}, {}
  local options = {}
  for cle, valeur in pairs(filtres) do options[cle] = valeur end
  -- Au plus tant de changements lus : une semaine d'import massif ne remplit pas la mémoire.
  options.limit = maximum * 4
  for _, change in ipairs(week:changes(options)) do
    local id = change.event.id
    if not dernier[id] then ordre[#ordre + 1] = id end
    if change.kind == "added" then ajoute[id] = true end
    dernier[id] = change
  end
  local nouveautes, modifications = {}, {}
  for _, id in ipairs(ordre) do
    local change = dernier[id]
    local evenement = change.event
    if not garder or garder(evenement) then
      local item = fiche(evenement)
      if evenement.status == "cancelled" then
        item.changement = "Annulé"
        modifications[#modifications + 1] = item
      elseif ajoute[id] then
        nouveautes[#nouveautes + 1] = item
      elseif change.kind == "rescheduled" then
        item.changement = "Nouvelle date"
        if change.before and change.before.slots[1] then
          item.avant = relais.date.slot(change.before.slots[1], { year = false })
        end
        modifications[#modifications + 1] = item
      end
    end
  end
  local function borner(liste)
    trier(liste)
    local en_plus = 0
    while #liste > maximum do
      liste[#liste] = nil
      en_plus = en_plus + 1
    end
    return liste, en_plus
  end
  local n, n_plus = borner(nouveautes)
  local m, m_plus = borner(modifications)
  return n, m, n_plus, m_plus
end

-- Toutes les données de la lettre d'une semaine, pour le rendu par défaut ou un gabarit.
function M.contexte(week, options)
  local region = options.region
  local filtres = { region = region }
  local garder = options.garder
  local maximum = options.maximum or MAXIMUM
  -- Un de plus que ce qui s'affiche, pour savoir s'il en reste (les filtres Lua en gardent moins).
  -- Assez pour choisir (voir agenda) sans tout lire d'une semaine chargée.
  local lus = { limit = garder and maximum * 20 or maximum + 1 }
  -- Ce qui commence dans la semaine d'abord (une lecture bornée à la semaine), puis, s'il
  -- reste de la place, ce qui dure depuis plus tôt.
  -- (Une semaine chargée remplit la lettre avec ce qui commence : la seconde lecture, qui
  -- parcourt tout ce qui a commencé plus tôt, n'est faite que s'il reste de la place.)
  local evenements, vus = {}, {}
  local commencent = week:events{ region = region, starting = true, limit = lus.limit }
  local lots = { commencent }
  if garder or #commencent <= maximum then lots[2] = week:events{ region = region, limit = lus.limit } end
  for _, lot in ipairs(lots) do
    for _, evenement in ipairs(lot) do
      if not vus[evenement.id] then
        evenements[#evenements + 1] = evenement
        vus[evenement.id] = true
      end
    end
  end
  local cette_semaine, cette_semaine_plus = agenda(week, evenements, garder, maximum)
  -- La semaine prochaine : ce qui commence ensuite (ce qui dure déjà appartient à cette semaine).
  local semaine_prochaine, semaine_prochaine_plus =
    agenda(week.next, week.next:events{ region = region, starting = true, limit = lus.limit }, garder, maximum, true)
  local nouveautes, modifications, nouveautes_plus, modifications_plus = changements(week.previous, filtres, garder, maximum)
  -- Un webinaire tient dans une journée : ceux qui commencent dans la semaine (lecture bornée).
  local nationaux, nationaux_plus =
    agenda(week, week:events{ region = "national", kind = "webinar", starting = true, limit = maximum + 1 }, nil, maximum)
  local vide = #cette_semaine + #semaine_prochaine + #nouveautes + #modifications + #nationaux == 0
  local nom_region = relais.regions[region] or region
  local function section(titre, fiches, vide_texte, en_plus)
    local suite
    if en_plus and en_plus > 0 then
      suite = "… et d’autres encore : retrouvez tout le programme sur le site du Mois de l’innovation publique."
    end
    return {
      titre = titre, evenements = fiches, nombre = #fiches, vide = #fiches == 0, vide_texte = vide_texte, suite = suite,
    }
  end
  return {
    lab = options.lab,
    semaine = week.id,
    numero = week.number,
    titre = week.title,
    region = nom_region,
    dans_la_region = de_la_region[region] or ("en " .. nom_region),
    bonjour = options.bonjour or "Bonjour,",
    introduction = options.introduction,
    signature = options.signature or options.lab,
    vide = vide,
    message_vide = options.message_vide
      or ("Rien n’est prévu cette semaine " .. (de_la_region[region] or ("en " .. nom_region))
        .. " ni dans les webinaires nationaux : profitez-en pour préparer vos projets, et rendez-vous la semaine prochaine !"),
    cette_semaine = section("Cette semaine " .. (de_la_region[region] or ""), cette_semaine,
      "Pas d’événement cette semaine dans la région.", cette_semaine_plus),
    semaine_prochaine = section("La semaine prochaine", semaine_prochaine, "Rien d’annoncé pour l’instant.",
      semaine_prochaine_plus),
    nouveautes = section("Nouveautés", nouveautes, nil, nouveautes_plus),
    modifications = section("Reports et annulations", modifications, nil, modifications_plus),
    nationaux = section("Webinaires nationaux ouverts à tous", nationaux, nil, nationaux_plus),
  }
end

local function lignes_de(section, sortie)
  for _, item in ipairs(section.evenements) do
    local ligne = "- **" .. item.quand .. "**"
    if item.autres_dates then ligne = ligne .. " (" .. item.autres_dates .. ")" end
    if item.changement then ligne = ligne .. " — " .. item.changement end
    if item.lien then
      ligne = ligne .. " — [" .. item.titre_md .. "](" .. item.lien .. ")"
    else
      ligne = ligne .. " — " .. item.titre_md
    end
    ligne = ligne .. " (" .. item.details_md .. ")"
    if item.organisateur_md then ligne = ligne .. ", " .. item.organisateur_md end
    if item.avant then ligne = ligne .. " — initialement " .. echapper(item.avant) end
    sortie[#sortie + 1] = ligne
  end
end

-- Le rendu Markdown par défaut d'un contexte.
function M.markdown(contexte)
  local sortie = { "# " .. contexte.titre, "", contexte.bonjour, "" }
  if contexte.introduction then
    sortie[#sortie + 1] = contexte.introduction
    sortie[#sortie + 1] = ""
  end
  if contexte.vide then
    sortie[#sortie + 1] = contexte.message_vide
    sortie[#sortie + 1] = ""
  else
    for _, cle in ipairs({ "cette_semaine", "semaine_prochaine", "nouveautes", "modifications", "nationaux" }) do
      local section = contexte[cle]
      if not section.vide or section.vide_texte then
        sortie[#sortie + 1] = "## " .. section.titre
        sortie[#sortie + 1] = ""
        if section.vide then
          sortie[#sortie + 1] = section.vide_texte
        else
          lignes_de(section, sortie)
          if section.suite then sortie[#sortie + 1] = "- " .. section.suite end
        end
        sortie[#sortie + 1] = ""
      end
    end
  end
  sortie[#sortie + 1] = contexte.signature
  return table.concat(sortie, "\n") .. "\n"
end

-- La fonction build d'un relais.digest : options lab, region, a (destinataires), objet,
-- bonjour, introduction, signature, message_vide, gabarit, garder(evenement), maximum (de
-- lignes par section, 60 par défaut).
function M.lettre(options)
  assert(type(options) == "table" and options.region and options.lab, "relais.hebdo.lettre : lab et region sont requis")
  return function(week)
    local contexte = M.contexte(week, options)
    local markdown
    if options.gabarit then
      markdown = relais.template(options.gabarit, contexte)
    else
      markdown = M.markdown(contexte)
    end
    local objet = options.objet or (options.lab .. " — ")
    return {
      subject = objet .. week.title:gsub("^S", "s") .. (contexte.vide and " : semaine calme" or ""),
      markdown = markdown,
      to = options.a,
    }
  end
end

return M
