-- relais.calendrier — jours du calendrier sans fuseau horaire : un jour est un nombre de
-- jours depuis le 1er janvier 1970 (algorithmes « days from civil » et « civil from
-- days » de H. Hinnant), pour compter des jours, trouver un lundi ou le dernier dimanche
-- d'un mois.
--
--   local calendrier = require("relais.calendrier")
--   calendrier.jours(2020, 11, 17)      --> 18583
--   calendrier.date(18583)              --> 2020, 11, 17
--   calendrier.texte(18583)             --> "2020-11-17"
--
-- Module livré avec Relais : il n'utilise que du Lua.

local calendrier = {}

function calendrier.jours(annee, mois, jour)
  local a = mois <= 2 and annee - 1 or annee
  local ere = (a >= 0 and a or a - 399) // 400
  local yoe = a - ere * 400
  local doy = (153 * (mois + (mois > 2 and -3 or 9)) + 2) // 5 + jour - 1
  return ere * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

function calendrier.date(n)
  n = n + 719468
  local ere = (n >= 0 and n or n - 146096) // 146097
  local doe = n - ere * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local jour = doy - (153 * mp + 2) // 5 + 1
  local mois = mp < 10 and mp + 3 or mp - 9
  return yoe + ere * 400 + (mois <= 2 and 1 or 0), mois, jour
end

function calendrier.texte(n)
  return string.format("%04d-%02d-%02d", calendrier.date(n))
end

return calendrier
