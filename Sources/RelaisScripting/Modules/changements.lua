-- relais.changements — les mots d'un changement de programme, pour les notifications
-- des labs (relais.on) :
--
--   local changements = require("relais.changements")
--   relais.on("event.cancelled", function(change)
--     local message = changements.message(change)   -- { sujet=, texte=, html=, donnees= }
--     relais.notify{ channel = "sendmail", to = "agents@exemple.gouv.fr",
--                    subject = message.sujet, body = message.texte, html = message.html }
--   end)
--
-- Module livré avec Relais : il n'utilise que l'API publique `relais`.

local changements = {}

local natures = {
  added = "Nouvel événement", updated = "Événement modifié", rescheduled = "Événement reprogrammé",
  cancelled = "Événement annulé",
}

-- Les créneaux d'un événement, en français : « mardi 10 novembre 2020, 9h30–11h30 ; … ».
local function creneaux(evenement)
  if not evenement then return nil end
  local textes = {}
  for i, creneau in ipairs(evenement.slots) do textes[i] = relais.date.slot(creneau) end
  return table.concat(textes, " ; ")
end
changements.creneaux = creneaux

local function echapper(texte)
  return (texte:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

-- Le message d'un changement : un sujet, un texte, sa version HTML, et les données (pour
-- un webhook).
function changements.message(change)
  local apres, avant = change.after, change.before
  local nature = natures[change.kind] or "Changement"
  local sujet = nature .. " : " .. apres.title
  local lignes = { nature .. " au programme du Mois de l'innovation publique.", "", apres.title }
  local quand = creneaux(apres)
  if change.kind == "rescheduled" and avant then
    lignes[#lignes + 1] = "Nouvelles dates : " .. quand
    lignes[#lignes + 1] = "Anciennes dates : " .. creneaux(avant)
  elseif change.kind == "cancelled" then
    lignes[#lignes + 1] = "Était prévu : " .. quand
  else
    lignes[#lignes + 1] = "Quand : " .. quand
  end
  if apres.online then
    lignes[#lignes + 1] = "En ligne"
  elseif apres.place then
    lignes[#lignes + 1] = "Lieu : " .. apres.place
  end
  if apres.organizer then lignes[#lignes + 1] = "Organisé par " .. apres.organizer end
  if apres.region then lignes[#lignes + 1] = "Région : " .. (relais.regions[apres.region] or apres.region) end
  if apres.url then lignes[#lignes + 1] = apres.url end
  lignes[#lignes + 1] = ""
  lignes[#lignes + 1] = "Référence : " .. apres.id
  local texte = table.concat(lignes, "\n") .. "\n"

  local html = { "<p>" .. echapper(lignes[1]) .. "</p>", "<p><strong>" .. echapper(apres.title) .. "</strong></p>", "<ul>" }
  for i = 4, #lignes - 2 do
    if lignes[i] ~= "" then html[#html + 1] = "<li>" .. echapper(lignes[i]) .. "</li>" end
  end
  html[#html + 1] = "</ul>"
  html[#html + 1] = "<p>Référence : " .. echapper(apres.id) .. "</p>"

  local donnees = {
    type = "event." .. change.kind, change = change.sequence, at = change.at, id = apres.id, title = apres.title,
    status = apres.status, region = apres.region, slots = apres.slots,
    previous_slots = avant and change.kind == "rescheduled" and avant.slots or nil, url = apres.url,
  }
  return { sujet = sujet, texte = texte, html = table.concat(html, "\n"), donnees = donnees }
end

return changements
