package org.cmarl.engine.io;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Python {@code collections.OrderedDict} in an unpickled checkpoint (a plain {@link LinkedHashMap} stands for a
 * {@code dict}). A PyTorch {@code state_dict()} is an OrderedDict that also carries instance attributes, set by the
 * pickle BUILD opcode: {@code _metadata} (per-module version numbers). They are kept in {@link #attributes()} so that a
 * checkpoint read and written again keeps them; {@code load_state_dict} works with or without them.
 */
public final class PyOrderedDict extends LinkedHashMap<Object, Object> {
    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, Object> attributes = new LinkedHashMap<>();

    public PyOrderedDict() {
        super();
    }

    public PyOrderedDict(Map<?, ?> entries) {
        super(entries);
    }

    /** Instance attributes (Python {@code __dict__}), in insertion order; empty for a plain OrderedDict. */
    public LinkedHashMap<String, Object> attributes() { return attributes; }

    @Override
    public boolean equals(Object o) {
        return o instanceof PyOrderedDict d && super.equals(d) && attributes.equals(d.attributes);
    }

    @Override
    public int hashCode() { return 31 * super.hashCode() + attributes.hashCode(); }
}
