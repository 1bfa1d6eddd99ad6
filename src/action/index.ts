/** Entry point of the main step. */
import { run } from './main.js'

void run()
