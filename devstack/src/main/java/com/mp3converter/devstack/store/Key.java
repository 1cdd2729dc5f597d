package com.mp3converter.devstack.store;

import java.util.Arrays;

/** Where a document is: its key in the collection's data map (the key bytes of its {@code _id}). */
record Key(byte[] bytes) {

    @Override
    public boolean equals(Object other) {
        return other instanceof Key key && Arrays.equals(bytes, key.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
