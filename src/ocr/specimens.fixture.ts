/**
 * What is printed on the real ID-card specimens in ../shared/data/idcards (its README, section D),
 * and the rotation that reads each one upright: the truth of the OCR tests and of `bench:ocr`.
 */
import type { IdCardBack, IdCardFront } from './index.js'

export interface Specimen {
  id: string
  rotation: number
  front?: IdCardFront
  back?: IdCardBack
}

export const SPECIMENS: Specimen[] = [
  {
    id: 'chineseocr_card.png',
    rotation: 90,
    front: {
      name: '小静',
      gender: '女',
      nation: '汉',
      birth: '1987/9/17',
      address: '北京市海淀区西北旺东路100号中关村科技园',
      idNumber: '370782198709170246',
    },
  },
  {
    id: 'chineseocr_idcard-demo.jpeg',
    rotation: 180,
    front: {
      name: '代用名',
      gender: '男',
      nation: '汉',
      birth: '2013/5/6',
      address: '湖南省长沙市开福区巡道街幸福小区居民组',
      idNumber: '430512198908131367',
    },
  },
  {
    id: 'bzsome_result_color.png',
    rotation: 0,
    front: {
      name: '张三',
      gender: '男',
      nation: '汉',
      birth: '1995/7/17',
      address: '四川省成都市武侯区益州大道中段722号复城国际',
      idNumber: '513701199507176346',
    },
    back: { authority: '四川省成都市锦江分局', validFrom: '2010.01.01', validTo: '2020.12.12' },
  },
  {
    // placeholder "1" everywhere; the validity "1" is not a date range, so both ends are null
    id: 'airob0t_dist_bw.png',
    rotation: 0,
    front: { name: '1', gender: '1', nation: '1', birth: '1/1/1', address: '1', idNumber: '1' },
    back: { authority: '1', validFrom: null, validTo: null },
  },
]
