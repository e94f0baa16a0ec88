package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against CPython 3.11's own pickler. The hex strings are the output of
 * <pre>
 * obj = {'a': 1.5, 'b': [1, (2, 'x'), (1, 2, 3, 4)], 'c': None, 'd': True, 'big': 2**70, 'neg': -5, 'mid': 70000,
 *        'u': 'é', 'od': collections.OrderedDict([(0, -2**40), (1, [])]), 't': ()}
 * pickle.dumps(obj, protocol=p).hex()
 * </pre>
 */
class PickleCompatibilityTest {
    private static final String PROTOCOL_2 = "80027d7100285801000000617101473ff800000000000058010000006271025d710328"
            + "4b014b025801000000787104867105284b014b024b034b047471066558010000006371074e58010000006471088858030000"
            + "0062696771098a0900000000000000004058030000006e6567710a4afbffffff58030000006d6964710b4a70110100580100"
            + "000075710c5802000000c3a9710d58020000006f64710e63636f6c6c656374696f6e730a4f72646572656444696374"
            + "0a710f29527110284b008a060000000000ff4b015d711175580100000074711229752e";
    private static final String PROTOCOL_4 = "800495a4000000000000007d94288c016194473ff80000000000008c0162945d9428"
            + "4b014b028c0178948694284b014b024b034b047494658c0163944e8c016494888c03626967948a0900000000000000004"
            + "08c036e6567944afbffffff8c036d6964944a701101008c0175948c02c3a9948c026f64948c0b636f6c6c656374696f6e"
            + "73948c0b4f72646572656444696374949394295294284b008a060000000000ff4b015d94758c01749429752e";
    private static final String PROTOCOL_5 = "8005" + PROTOCOL_4.substring(4);

    private static LinkedHashMap<Object, Object> expected() {
        LinkedHashMap<Object, Object> obj = new LinkedHashMap<>();
        obj.put("a", 1.5);
        obj.put("b", new ArrayList<Object>(List.of(1L, PyTuple.of(2L, "x"), PyTuple.of(1L, 2L, 3L, 4L))));
        obj.put("c", null);
        obj.put("d", true);
        obj.put("big", BigInteger.TWO.pow(70));
        obj.put("neg", -5L);
        obj.put("mid", 70000L);
        obj.put("u", "é");
        PyOrderedDict od = new PyOrderedDict();
        od.put(0L, -(1L << 40));
        od.put(1L, new ArrayList<Object>());
        obj.put("od", od);
        obj.put("t", PyTuple.of());
        return obj;
    }

    @ParameterizedTest
    @CsvSource({"2", "4", "5"})
    void shouldDecodeCPythonPickleWhenProtocolIs2To5(int protocol) throws Exception {
        String hex = protocol == 2 ? PROTOCOL_2 : protocol == 4 ? PROTOCOL_4 : PROTOCOL_5;
        byte[] pickle = HexFormat.of().parseHex(hex);
        PickleReader reader = new PickleReader(Path.of("cpython.pkl"), "pickle", pickle, 0, pickle.length,
                new PickleReader.Resolver() {
                    @Override
                    public Object persistentLoad(Object pid) {
                        throw new AssertionError("no persistent ids here");
                    }

                    @Override
                    public TensorData rebuildTensor(Object s, long o, long[] size, long[] stride) {
                        throw new AssertionError("no tensors here");
                    }
                });

        Object value = reader.load();

        assertEquals(expected(), value);
        assertEquals(pickle.length, reader.position());
        assertTrue(((LinkedHashMap<?, ?>) value).get("od") instanceof PyOrderedDict);
        assertEquals(new ArrayList<>(expected().keySet()), new ArrayList<>(((LinkedHashMap<?, ?>) value).keySet()));
    }

    @Test
    void shouldEmitSameBytesAsCPythonWhenPicklingWithProtocol2() {
        assertArrayEquals(HexFormat.of().parseHex(PROTOCOL_2), new PickleWriter().dump(expected()));
    }
}
