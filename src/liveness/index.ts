export * from './timeline.js'
export * from './action.js'
export * from './silent.js'
