-- lib/temps.lua — instants et jours à l'heure de Paris, pour écrire des horaires complets
-- (« 2020-11-17T00:00:00+01:00 ») à partir des jours entiers du catalogue.
--
-- Les instants sont des secondes depuis le 1er janvier 1970 UTC. L'heure légale de Paris
-- suit la règle européenne en vigueur depuis 1996 : +02:00 du dernier dimanche de mars,
-- 01:00 UTC, au dernier dimanche d'octobre, 01:00 UTC ; +01:00 le reste de l'année.

local temps = {}

-- Jours depuis le 1er janvier 1970, et le jour d'un tel nombre : relais.calendrier.
local calendrier = require("relais.calendrier")
local jours, date = calendrier.jours, calendrier.date
temps.jours = jours
temps.date = date

-- Le dernier dimanche d'un mois (en jours depuis 1970).
local function dernier_dimanche(annee, mois)
  local dernier = mois == 12 and jours(annee + 1, 1, 1) - 1 or jours(annee, mois + 1, 1) - 1
  local jour_semaine = (dernier + 3) % 7 -- 0 = lundi … 6 = dimanche (le 1/1/1970 était un jeudi)
  return dernier - (jour_semaine + 1) % 7
end

-- Le décalage de Paris (en secondes) à l'instant `t`.
local function decalage(t)
  local annee = date(t // 86400)
  local ete = dernier_dimanche(annee, 3) * 86400 + 3600
  local hiver = dernier_dimanche(annee, 10) * 86400 + 3600
  if t >= ete and t < hiver then return 7200 end
  return 3600
end
temps.decalage = decalage

-- L'instant d'une heure de Paris (jour en jours depuis 1970, heure, minute). Pour l'heure
-- qui n'existe pas (passage à l'heure d'été) ou qui existe deux fois (retour à l'heure
-- d'hiver), la première lecture à +01:00 ou +02:00 qui tombe juste est prise.
function temps.local_vers_instant(jour, heure, minute)
  local mur = jour * 86400 + heure * 3600 + minute * 60
  local ete = mur - 7200
  if decalage(ete) == 7200 then return ete end
  return mur - 3600
end

-- Le jour de Paris (jours depuis 1970) où tombe l'instant `t`.
function temps.jour_de(t)
  return (t + decalage(t)) // 86400
end

-- « 2020-11-10T09:30:00+01:00 »
function temps.texte(t)
  local d = decalage(t)
  local mur = t + d
  local annee, mois, jour = date(mur // 86400)
  local s = mur % 86400
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d+%02d:00", annee, mois, jour, s // 3600, s // 60 % 60, s % 60,
    d // 3600)
end

-- Lit un temps du catalogue : « 2020-11-17 » → { jour = n } ;
-- « 2020-11-10T09:30:00+01:00 » (ou …Z) → { instant = t }. Nil si le texte est autre.
function temps.lire(texte)
  local a, m, j = texte:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if a then return { jour = jours(tonumber(a), tonumber(m), tonumber(j)) } end
  local h, mi, s, reste
  a, m, j, h, mi, s, reste = texte:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):?(%d*)(.*)$")
  if not a then return nil end
  local t = jours(tonumber(a), tonumber(m), tonumber(j)) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60
    + (tonumber(s) or 0)
  if reste == "Z" then return { instant = t } end
  local signe, dh, dm = reste:match("^([+-])(%d%d):(%d%d)$")
  if not signe then return nil end
  local d = tonumber(dh) * 3600 + tonumber(dm) * 60
  return { instant = signe == "+" and t - d or t + d }
end

return temps
