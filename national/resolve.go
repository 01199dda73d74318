package national

// recordKey identifies a national record.
type recordKey struct{ kind, naturalKey string }

// owner is the source record that holds a natural key.
type owner struct{ department, source, stream, sourceKey string }

func ownerOf(p Provenance, sourceKey string) owner {
	return owner{p.Department, p.Source, p.Stream, sourceKey}
}

// String formats the owner as Result.ConflictWith reports it.
// sameStream reports whether two owners are records of the same stream.
func (o owner) sameStream(p owner) bool {
	return o.department == p.department && o.source == p.source && o.stream == p.stream
}

func (o owner) String() string {
	return o.department + "/" + o.source + "/" + o.stream + " " + o.sourceKey
}

// resolve settles, before anything is written, what becomes of the items the
// database need not see, as if the items were written one by one in order.
// owners holds the live owner of each natural key in the batch; it may leave
// out a key whose owner is the one every item with that key would claim it
// as, since that owner changes nothing.
//
//   - An item whose natural key is held, by the stored records or by an
//     earlier item, for another source record is a Conflict with it. A claim
//     stands for the whole batch: a key that its holder moves off in the same
//     batch is free from the next batch on.
//   - Of items with the same natural key and source key, the last is written
//     and the earlier count Unchanged: the last carries the content.
//   - A source record holds one live record, so of items with the same source
//     key and different natural keys the last is written and the earlier
//     count Unchanged.
//
// It returns the result with every settled outcome set and the indexes of
// the items left to write, in order. Those have distinct natural keys and
// distinct source keys, which is what lets one statement write them all.
func resolve(p Provenance, items []Item, owners map[recordKey]owner) (Result, []int) {
	res := Result{Outcomes: make([]Outcome, len(items))}
	holder := make(map[recordKey]owner, len(items))
	lastByKey := make(map[recordKey]int, len(items))
	lastBySource := make(map[string]int, len(items))
	for i, it := range items {
		k := recordKey{it.Kind, it.NaturalKey}
		mine := ownerOf(p, it.SourceKey)
		o, held := holder[k]
		if !held {
			o, held = owners[k]
		}
		if held && o != mine {
			res.Outcomes[i] = Conflict
			if res.ConflictWith == nil {
				res.ConflictWith = make(map[int]string)
			}
			res.ConflictWith[i] = o.String()
			continue
		}
		holder[k] = mine
		if prev, ok := lastByKey[k]; ok {
			res.Outcomes[prev] = Unchanged
		}
		if prev, ok := lastBySource[it.SourceKey]; ok {
			res.Outcomes[prev] = Unchanged
		}
		lastByKey[k] = i
		lastBySource[it.SourceKey] = i
	}
	var write []int
	for i, o := range res.Outcomes {
		if o == 0 {
			write = append(write, i)
		}
	}
	return res, write
}

// stored is what a write needs to know of the record stored under a natural
// key.
type stored struct {
	owner owner
	live  bool
	hash  [32]byte
}

// unchanged says whether writing it would change nothing: the record is
// the item's own, live, and of the same content.
func (r stored) unchanged(p Provenance, it *Item) bool {
	return r.live && r.owner == ownerOf(p, it.SourceKey) && r.hash == it.Hash
}

// liveOwners returns the owners resolve needs from the stored records.
func liveOwners(records map[recordKey]stored) map[recordKey]owner {
	owners := make(map[recordKey]owner, len(records))
	for k, r := range records {
		if r.live {
			owners[k] = r.owner
		}
	}
	return owners
}
