import { useMemo, useState } from 'react';

/**
 * A time zone picker over the browser's own list (Intl.supportedValuesOf('timeZone'), some 400
 * zones): grouped by region, each with its current UTC offset, and a search box that narrows the
 * list (by city, region or offset) so nobody scrolls through all of it. The selected zone always
 * stays in the list, even when the search does not match it or the browser does not list it
 * (an alias such as Asia/Calcutta saved by another client).
 */
interface Zone {
  id: string;
  region: string;
  label: string;
  search: string;
}

let zones: Zone[] | null = null;

/** Built once per page load: a formatter per zone is the cost. */
function allZones(): Zone[] {
  if (zones) return zones;
  const ids = new Set(Intl.supportedValuesOf('timeZone'));
  ids.add('UTC');
  const now = new Date();
  zones = [...ids].sort().map((id) => zoneOf(id, now));
  return zones;
}

function zoneOf(id: string, now: Date): Zone {
  const offset = offsetOf(id, now);
  const slash = id.indexOf('/');
  const region = slash > 0 ? id.slice(0, slash) : 'Other';
  const place = (slash > 0 ? id.slice(slash + 1) : id).replace(/_/g, ' ').replace(/\//g, ' – ');
  return { id, region, label: `${place} (${offset})`, search: `${id} ${place} ${offset}`.toLowerCase() };
}

function offsetOf(id: string, now: Date): string {
  try {
    const part = new Intl.DateTimeFormat('en', { timeZone: id, timeZoneName: 'longOffset' }).formatToParts(now).find((p) => p.type === 'timeZoneName');
    return part?.value.replace(/^GMT$/, 'GMT+00:00').replace('GMT', 'UTC') ?? id;
  } catch {
    return 'unknown offset';
  }
}

export function TimeZoneSelect({ id, value, onChange, describedBy, invalid }: { id: string; value: string; onChange: (zone: string) => void; describedBy?: string; invalid?: boolean }) {
  const [query, setQuery] = useState('');
  const all = allZones();
  const { groups, count } = useMemo(() => {
    const q = query.trim().toLowerCase();
    const list = all.some((z) => z.id === value) ? all : [zoneOf(value, new Date()), ...all];
    const matching = list.filter((z) => !q || z.search.includes(q));
    // The selected zone stays selectable (a select cannot show a value it has no option for).
    const shown = matching.some((z) => z.id === value) ? matching : [...list.filter((z) => z.id === value), ...matching];
    const byRegion = new Map<string, Zone[]>();
    for (const z of shown) byRegion.set(z.region, [...(byRegion.get(z.region) ?? []), z]);
    return { groups: [...byRegion.entries()], count: matching.length };
  }, [all, query, value]);

  return (
    <div className="tz-select">
      <input
        type="search"
        className="tz-search"
        aria-label="Search time zones"
        placeholder="Search: city, region or UTC+01"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
      <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={value} onChange={(e) => onChange(e.target.value)}>
        {groups.map(([region, zs]) => (
          <optgroup key={region} label={region}>
            {zs.map((z) => (
              <option key={z.id} value={z.id}>
                {z.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      {query.trim() ? (
        <p className="hint" aria-live="polite">
          {count === 1 ? '1 time zone matches.' : `${count} time zones match.`}
        </p>
      ) : null}
    </div>
  );
}
