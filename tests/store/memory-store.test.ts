import t from 'tap'
import { createMemoryStore } from '../../app/store/memory/memory-store.js'
import { storeBehaviour } from './store-behaviour.js'

storeBehaviour(t, async () => createMemoryStore())
