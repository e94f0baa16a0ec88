package org.cmarl.engine.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import org.cmarl.engine.env.Mode;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.volume.FileType;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The published spellings of the enum flags, mapped straight onto the domain enums: each nested class is both the
 * option's converter and its {@code ${COMPLETION-CANDIDATES}}, in the published order. The names are
 * case-sensitive and a wrong one gets picocli's own enum message ("expected one of [...] (case-sensitive) but was
 * 'x'"), so the command line reads exactly as when these flags were Java enums of their own.
 */
final class EnumFlags {
    private EnumFlags() {
    }

    /** A flag's accepted names, in the order the help lists them, and the domain value of each. */
    abstract static class Names<E> implements ITypeConverter<E>, Iterable<String> {
        private final List<String> names = new ArrayList<>();
        private final List<E> values = new ArrayList<>();

        @SafeVarargs
        Names(Function<E, String> name, E... inHelpOrder) {
            for (E e : inHelpOrder) {
                names.add(name.apply(e));
                values.add(e);
            }
        }

        @Override
        public E convert(String value) {
            int i = names.indexOf(value);
            if (i < 0) {
                throw new TypeConversionException(String.format("expected one of %s (case-sensitive) but was '%s'",
                        names, value));
            }
            return values.get(i);
        }

        @Override
        public Iterator<String> iterator() {
            return names.iterator();
        }
    }

    /** {@code --task play|eval|train}. */
    static final class Tasks extends Names<Mode> {
        Tasks() {
            super(EnumFlags::task, Mode.PLAY, Mode.EVAL, Mode.TRAIN);
        }
    }

    /** {@code --model_name CommNet|Network3d}. */
    static final class ModelNames extends Names<Architecture> {
        ModelNames() {
            super(Architecture::cliName, Architecture.COMMNET, Architecture.NETWORK3D);
        }
    }

    /** {@code --file_type brain|cardiac|fetal}. */
    static final class FileTypes extends Names<FileType> {
        FileTypes() {
            super(FileType::cliName, FileType.BRAIN, FileType.CARDIAC, FileType.FETAL);
        }
    }

    /** {@code --team_reward mean|attention} (absent: {@link TeamReward#NONE}). */
    static final class TeamRewards extends Names<TeamReward> {
        TeamRewards() {
            super(t -> t.name().toLowerCase(Locale.ROOT), TeamReward.MEAN, TeamReward.ATTENTION);
        }
    }

    /** The {@code --task} spelling of a mode: {@code train}, {@code eval} or {@code play}. */
    static String task(Mode mode) {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}
